import { ProviderError } from '../../errors.js'
import { stringOrNull } from '../../identity.js'
import { isObject } from '../http.js'
import { optionalBoolean } from '../options.js'
import type { Preset } from '../preset.js'
import type { ProfileContext, ProfileFields } from '../types.js'
import { apiBase, fromFastifyPreset, getProfileObject, idString, pick, plainEndpoints } from './shared.js'

/** VATSIM Connect. `sandbox: true` uses VATSIM's development server. */
export const vatsim: Preset = {
  id: 'vatsim',
  options: ['sandbox'],
  define: (options, where) => {
    const sandbox = optionalBoolean(options.sandbox, `${where}.sandbox`) ?? false
    const endpoints = fromFastifyPreset(sandbox ? 'VATSIM_DEV_CONFIGURATION' : 'VATSIM_CONFIGURATION')
    return {
      endpoints: plainEndpoints({ ...endpoints, apiBaseUrl: new URL(endpoints.tokenEndpoint).origin }),
      idToken: null,
      pkce: false,
      scope: ['full_name', 'email'],
      tokenEndpointAuthMethod: 'client_secret_post',
      profile: vatsimProfile
    }
  }
}

async function vatsimProfile (context: ProfileContext): Promise<ProfileFields> {
  const response = await getProfileObject(context, `${apiBase(context)}/api/user`, 'user')
  const data = response.data
  if (!isObject(data)) throw new ProviderError('PROVIDER_BAD_RESPONSE', 'user endpoint returned no data')
  return {
    uid: idString(data.cid),
    email: stringOrNull(pick(data, 'personal.email')),
    emailVerified: false,
    username: null,
    name: stringOrNull(pick(data, 'personal.name_full')),
    firstName: stringOrNull(pick(data, 'personal.name_first')),
    lastName: stringOrNull(pick(data, 'personal.name_last')),
    picture: null,
    raw: data
  }
}
