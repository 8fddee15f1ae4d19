// Injected faults: rate limits, server errors, slow answers, dropped connections.


export type FaultAction =
  | { kind: 'rate-limit'; retryAfter: number }
  | { kind: 'server-error'; status: number; html: boolean }
  | { kind: 'slow'; ms: number; answerFirst: boolean }
  | { kind: 'drop' }

export interface FaultRule {
  action: FaultAction
  remaining: number
  method: string | undefined
  path: RegExp | undefined
}

export function edgeErrorPage(status: number): string {
  const title = status === 502 ? '502 Bad Gateway' : status === 503 ? '503 Service Temporarily Unavailable' : '500 Internal Server Error'
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`
}
