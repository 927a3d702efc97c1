/**
 * Humans and crawlers, by user agent: a user agent that `isbot` (a maintained list of bot
 * patterns) flags is a crawler, named from the user agent ("Googlebot", "bingbot", "GPTBot",
 * "curl"); any other is a human. A request without a user agent is a crawler named
 * "no-user-agent". Answers are cached per distinct user agent (isbot's pattern costs about
 * a microsecond), and the cache is emptied when it reaches 100,000 agents, so memory stays flat.
 */
import { isbot } from 'isbot'
import { ownString } from './record.ts'

const CACHE_LIMIT = 100_000

/** The crawler's name in a bot's user agent. */
export function crawlerName(ua: string): string {
  const s = ua.trim()
  if (s === '' || s === '-') return 'no-user-agent'
  // "Mozilla/5.0 (compatible; Googlebot/2.1; +http://…)", "(…; compatible; ChatGPT-User/1.0; …)"
  const compatible = /compatible;\s*([A-Za-z][\w .-]*?)(?:\/[\w.~-]*)?\s*[;)]/.exec(s)
  if (compatible && !/^MSIE\b/.test(compatible[1]!)) return compatible[1]!.trim().slice(0, 200)
  // A product token that names a bot: "Applebot/0.1", "facebookexternalhit/1.1", "Bytespider".
  const token = /\b([A-Za-z][\w-]*?(?:bot|spider|crawler|crawl|externalhit|fetcher|scraper|archiver))\b/i.exec(s)
  if (token) return token[1]!.slice(0, 200)
  // Otherwise the first product token: "curl/8.5.0" -> "curl", "python-requests/2.31" -> "python-requests".
  const first = /^([^\s/;()]+)/.exec(s)
  return (first ? first[1]! : s).slice(0, 200)
}

export interface BotClassifier {
  /** The crawler's name, or null for a human. */
  (ua: string): string | null
}

/** A cached classifier; user agents matching `humans` are human whatever isbot says (e.g. a load tester). */
export function botClassifier(humans?: RegExp): BotClassifier {
  let cache = new Map<string, string | null>()
  return (ua: string) => {
    const hit = cache.get(ua)
    if (hit !== undefined) return hit
    const name = humans?.test(ua) ? null : ua === '' || ua === '-' || isbot(ua) ? crawlerName(ua) : null
    if (cache.size >= CACHE_LIMIT) cache = new Map()
    cache.set(ownString(ua), name)
    return name
  }
}
