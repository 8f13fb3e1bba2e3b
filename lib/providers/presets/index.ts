import { oauth2 } from '../generic-oauth2.js'
import { oidc } from '../oidc.js'
import type { Preset } from '../preset.js'
import { apple } from './apple.js'
import { atlassian } from './atlassian.js'
import { bitbucket } from './bitbucket.js'
import { discord } from './discord.js'
import { dropbox } from './dropbox.js'
import { epicgames } from './epicgames.js'
import { facebook } from './facebook.js'
import { github } from './github.js'
import { gitlab } from './gitlab.js'
import { google } from './google.js'
import { linkedin } from './linkedin.js'
import { microsoft } from './microsoft.js'
import { notion } from './notion.js'
import { reddit } from './reddit.js'
import { slack } from './slack.js'
import { spotify } from './spotify.js'
import { twitch } from './twitch.js'
import { twitter } from './twitter.js'
import { vatsim } from './vatsim.js'
import { vkontakte } from './vkontakte.js'
import { yandex } from './yandex.js'
import { zoom } from './zoom.js'

/** Every preset and generic type, by id. */
export const PRESETS: ReadonlyMap<string, Preset> = new Map([
  apple, atlassian, bitbucket, discord, dropbox, epicgames, facebook, github, gitlab, google, linkedin, microsoft,
  notion, reddit, slack, spotify, twitch, twitter, vatsim, vkontakte, yandex, zoom, oidc, oauth2
].map((preset) => [preset.id, preset]))

/** python-social-auth backend names, as djoser front ends send them, to preset ids. */
export const ALIASES: ReadonlyMap<string, string> = new Map(
  [...PRESETS.values()].flatMap((preset) => (preset.aliases ?? []).map((alias) => [alias, preset.id] as const))
)

/** Finds a preset by id or alias. */
export function findPreset (type: string): Preset | undefined {
  return PRESETS.get(type) ?? PRESETS.get(ALIASES.get(type) ?? '')
}
