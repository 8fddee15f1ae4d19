import { UserError } from '../../../shared/common/errors'
import { agentSocket } from '../../../shared/node/broker/paths'
import type { Invocation } from '../args'

/** `cfwrap --mcp`: the MCP server for coding agents, over stdio, in front of the broker. */
export async function mcpCommand(_invocation: Invocation): Promise<number> {
  const socket = agentSocket(process.env)
  if (!socket) throw new UserError('cfwrap --mcp needs a running broker: start the tray app or `cfwrap --daemon` first.')
  const { version } = await import('../../../package.json')
  const { startMcpServer } = await import('../../../shared/node/mcp/server')
  await startMcpServer({ socket, cwd: process.cwd(), env: process.env, version })
  return 0
}
