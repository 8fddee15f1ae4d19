// Routes, path templates and pagination.
import { ErrorCode } from './catalog'
import { ApiAnswer, ApiError, Principal, ok } from './model'

export interface RouteContext {
  principal: Principal
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
}

export interface Route {
  method: string
  pattern: RegExp
  paramNames: string[]
  handle: (ctx: RouteContext) => ApiAnswer
}

export function compilePath(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = []
  const source = template
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        paramNames.push(segment.slice(1))
        return '([^/]+)'
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('/')
  return { pattern: new RegExp(`^${source}$`), paramNames }
}

export interface Pagination {
  page: number
  perPage: number
  direction: 'asc' | 'desc'
}

export function parsePagination(query: URLSearchParams): Pagination {
  const pageText = query.get('page')
  const perPageText = query.get('per_page')
  const direction = query.get('direction') ?? 'asc'
  const page = pageText === null ? 1 : Number(pageText)
  const perPage = perPageText === null ? 20 : Number(perPageText)
  if (!Number.isInteger(page) || page < 1) {
    throw new ApiError(400, ErrorCode.invalidRequest, 'page: must be a whole number of at least 1')
  }
  if (!Number.isInteger(perPage) || perPage < 5 || perPage > 50) {
    throw new ApiError(400, ErrorCode.invalidRequest, 'per_page: must be a whole number from 5 to 50')
  }
  if (direction !== 'asc' && direction !== 'desc') {
    throw new ApiError(400, ErrorCode.invalidRequest, 'direction: must be "asc" or "desc"')
  }
  return { page, perPage, direction }
}

export function paginate<T>(items: readonly T[], { page, perPage }: Pagination): ApiAnswer {
  // Pages past the end are empty, not an error: the SDK's iterator asks for one page beyond the last.
  const slice = items.slice((page - 1) * perPage, page * perPage)
  return ok(slice, {
    page,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  })
}

export function parseBooleanQuery(query: URLSearchParams, name: string): boolean {
  const value = query.get(name)
  if (value === null || value === 'false') return false
  if (value === 'true') return true
  throw new ApiError(400, ErrorCode.invalidRequest, `${name}: must be "true" or "false"`)
}

/** A route before its path template is compiled. */
export interface RouteSpec {
  method: string
  template: string
  handle: (ctx: RouteContext) => ApiAnswer
}

/** A list of routes and the `add(method, template, handle)` that fills it, for one endpoint family. */
export function routeTable(): { routes: RouteSpec[]; add: (method: string, template: string, handle: RouteSpec['handle']) => void } {
  const routes: RouteSpec[] = []
  return { routes, add: (method, template, handle) => void routes.push({ method, template, handle }) }
}
