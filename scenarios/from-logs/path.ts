/**
 * From a logged request path to the page it asks for, as Next sees it: RSC requests
 * (`/blog/a.rsc`, `/index.rsc` for `/`, `.prefetch.rsc`; `?_rsc=` is gone with the query) are
 * the page's; a trailing slash is ignored; each segment is percent-decoded (an encoded "/"
 * stays encoded, so segments keep their count). Assets are told apart: `/_next/…`, files with
 * an asset extension (.js, .css, .png, .ico, .txt, .xml, …: a segment with another dot, such
 * as `/docs/v1.2`, may be a page), metadata images (`opengraph-image`, `icon`, …) and route
 * handlers under `/api/`.
 */

/** Returned instead of a path: not a page request. */
export const NOT_PAGE_ASSET = '\u0000asset'
export const NOT_PAGE_API = '\u0000api'
export const NOT_PAGE_INVALID = '\u0000invalid'

const ASSET_EXTENSIONS = new Set([
  'js', 'mjs', 'cjs', 'css', 'map', 'json', 'txt', 'xml', 'ico', 'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'avif', 'bmp', 'tif', 'tiff',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'webmanifest', 'mp4', 'webm', 'mp3', 'ogg', 'wav', 'pdf', 'zip', 'gz', 'wasm', 'csv', 'rss', 'atom',
  'php', 'asp', 'aspx', 'cgi', 'env', 'bak', 'sql', 'yml', 'yaml', 'ini', 'log',
])
const METADATA_IMAGE = /^(?:opengraph-image|twitter-image|icon|apple-icon)(?:-[\w]+)?$/

function decodeSegments(p: string): string {
  let out = ''
  for (const seg of p.split('/').slice(1)) {
    let d = seg
    if (seg.includes('%')) {
      try {
        d = decodeURIComponent(seg)
        if (d.includes('/')) d = d.replaceAll('/', '%2F')
      } catch {
        d = seg
      }
    }
    out += `/${d}`
  }
  return out
}

/** The page path of a logged request path (query already cut), or one of the NOT_PAGE_* markers. */
export function pagePath(raw: string): string {
  let p = raw
  if (p.charCodeAt(0) !== 47) {
    // An absolute-form target ("http://host/path") or junk ("*", "host:443", "-").
    const i = p.indexOf('://')
    if (i < 0) return NOT_PAGE_INVALID
    const j = p.indexOf('/', i + 3)
    p = j < 0 ? '/' : p.slice(j)
  }
  if (p.startsWith('/_next/')) return NOT_PAGE_ASSET
  if (p.startsWith('/api/') || p === '/api') return NOT_PAGE_API
  const slash = p.lastIndexOf('/')
  const dot = p.lastIndexOf('.')
  if (dot > slash) {
    const ext = p.slice(dot + 1).toLowerCase()
    if (ext === 'rsc') {
      p = p.slice(0, dot)
      if (p.endsWith('.prefetch')) p = p.slice(0, -9)
      if (p === '/index') p = '/'
    } else if (ASSET_EXTENSIONS.has(ext)) return NOT_PAGE_ASSET
  }
  if (p.includes('%')) p = decodeSegments(p)
  while (p.length > 1 && p.charCodeAt(p.length - 1) === 47) p = p.slice(0, -1)
  if (METADATA_IMAGE.test(p.slice(p.lastIndexOf('/') + 1))) return NOT_PAGE_ASSET
  return p
}
