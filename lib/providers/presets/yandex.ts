import { stringOrNull } from '../../identity.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, idString, plainEndpoints } from './shared.js'
import { ProviderError } from '../../errors.js'
import { isObject } from '../http.js'

/** Yandex ID. Its profile API takes the token as `Authorization: OAuth …` and asserts no email verification. */
export const yandex: Preset = {
  id: 'yandex',
  aliases: ['yandex-oauth2'],
  define: () => ({
    endpoints: plainEndpoints({ ...fromFastifyPreset('YANDEX_CONFIGURATION'), apiBaseUrl: 'https://login.yandex.ru' }),
    idToken: null,
    pkce: true,
    scope: ['login:info', 'login:email', 'login:avatar'],
    tokenEndpointAuthMethod: 'client_secret_post',
    profile: yandexProfile
  })
}

async function yandexProfile (context: ProfileContext): Promise<ProfileFields> {
  const info = await context.fetchJson(`${apiBase(context)}/info?format=json`, {
    endpoint: 'info',
    headers: { authorization: `OAuth ${context.tokens.accessToken}` }
  })
  if (!isObject(info)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'info endpoint returned JSON that is not an object')
  const avatar = stringOrNull(info.default_avatar_id)
  return {
    uid: idString(info.id),
    email: stringOrNull(info.default_email),
    emailVerified: false,
    username: stringOrNull(info.login),
    name: stringOrNull(info.real_name) ?? stringOrNull(info.display_name),
    firstName: stringOrNull(info.first_name),
    lastName: stringOrNull(info.last_name),
    picture: avatar === null || info.is_avatar_empty === true ? null : `https://avatars.yandex.net/get-yapic/${avatar}/islands-200`,
    raw: info
  }
}
