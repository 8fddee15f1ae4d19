// When an agent's request needs a person, and what the sandbox's bubblewrap command line holds.
import { describe, expect, it } from 'vitest'
import { approvalReasons, coveredByApproval, DEFAULT_APPROVAL_POLICY } from '../../shared/common/broker/policy'
import { findTemplate, type TokenTemplate } from '../../shared/common/templates'
import { abstractBus, SANDBOX_BROKER_SOCKET, sandboxPlan } from '../../shared/node/sandbox'

const template = (name: string): TokenTemplate => findTemplate(name) as TokenTemplate

describe('approvalReasons (the default policy)', () => {
  it('grants a low-risk template within its defaults at once', () => {
    expect(approvalReasons({ templates: [template('read-only')], env: 'dev', ttlSeconds: 3600, risk: 'low' }, DEFAULT_APPROVAL_POLICY)).toEqual([])
  })
  it('asks for high risk, prod, a TTL above the default and a permanent token, each in words', () => {
    expect(approvalReasons({ templates: [template('workers-deploy')], env: 'dev', ttlSeconds: 900, risk: 'high' }, DEFAULT_APPROVAL_POLICY)).toEqual(['its risk is high'])
    expect(approvalReasons({ templates: [template('read-only')], env: 'prod', ttlSeconds: 60, risk: 'low' }, DEFAULT_APPROVAL_POLICY)).toEqual(['it is for prod'])
    expect(approvalReasons({ templates: [template('read-only')], env: 'dev', ttlSeconds: 3601, risk: 'low' }, DEFAULT_APPROVAL_POLICY)).toEqual(["its lifetime is above the template's default"])
    expect(approvalReasons({ templates: [template('read-only')], env: 'dev', ttlSeconds: null, risk: 'low' }, DEFAULT_APPROVAL_POLICY)).toEqual(['it never expires'])
  })
  it('a standing approval covers the same template, project and env until it ends, not a second later', () => {
    const approvals = [{ template: 'workers-deploy', project: 'shop', env: 'prod', until: '2026-12-01T10:00:00.000Z' }]
    const at = Date.parse('2026-12-01T09:59:59.999Z')
    expect(coveredByApproval(approvals, { template: 'workers-deploy', project: 'shop', env: 'prod' }, at)).toBe(true)
    expect(coveredByApproval(approvals, { template: 'workers-deploy', project: 'shop', env: 'prod' }, at + 1)).toBe(false)
    expect(coveredByApproval(approvals, { template: 'workers-deploy', project: 'blog', env: 'prod' }, at)).toBe(false)
  })
})

describe('sandboxPlan', () => {
  const plan = sandboxPlan({
    command: ['claude', '--resume'],
    project: '/home/jane/src/shop',
    allow: ['/home/jane/.claude'],
    tools: ['/home/jane/.nvm/versions/node/v20'],
    agentSocket: '/run/user/1000/cfwrap/agent.sock',
    hidden: ['/run/user/1000', '/home/jane/.config/cfwrap', '/srv/cfwrap-state'],
    env: { HOME: '/home/jane', PATH: '/usr/bin', CLOUDFLARE_API_TOKEN: 'cfut_x', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus', SSH_AUTH_SOCK: '/run/user/1000/ssh', CFWRAP_HOME: '/srv/cfwrap-state', TERM: 'xterm' },
    cwd: '/home/jane/src/shop/web',
  })
  const pairs = (flag: string) => plan.args.flatMap((arg, i) => (arg === flag ? [plan.args[i + 1]] : []))

  it('an empty home and /tmp over a read-only root; the runtime and state directories empty too', () => {
    expect(plan.args.slice(0, 4)).toEqual(['--die-with-parent', '--ro-bind', '/', '/'])
    expect(pairs('--tmpfs')).toEqual(['/tmp', '/home/jane', '/run/user/1000', '/srv/cfwrap-state'])
  })
  it('binds back the project and allowed paths read-write, the tools read-only, and only the agent socket', () => {
    expect(pairs('--bind')).toEqual(['/home/jane/src/shop', '/home/jane/.claude'])
    expect(pairs('--ro-bind')).toEqual(['/', '/home/jane/.nvm/versions/node/v20', '/run/user/1000/cfwrap/agent.sock'])
    expect(plan.args).not.toContain('/run/user/1000/cfwrap/control.sock')
    expect(plan.args.slice(plan.args.indexOf('--chdir'))).toEqual(['--chdir', '/home/jane/src/shop/web', '--', 'claude', '--resume'])
  })
  it('passes no credential, no bus, no agent socket of the host and no state directory; points cfwrap at the broker', () => {
    expect(plan.env).toEqual({ HOME: '/home/jane', PATH: '/usr/bin', TERM: 'xterm', CFWRAP_BROKER: SANDBOX_BROKER_SOCKET })
  })
  it('recognises a session bus it cannot hide', () => {
    expect(abstractBus({ DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-x,guid=1' })).not.toBeNull()
    expect(abstractBus({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' })).toBeNull()
  })
})

describe('sandboxTools', () => {
  it('binds back what the empty home and /tmp would hide (an nvm Node, a checkout in /tmp), nothing the read-only root shows', async () => {
    const { sandboxTools } = await import('../../shared/node/sandbox')
    expect(sandboxTools(['/usr', '/home/jane/.nvm/versions/node/v20', '/tmp/ci-clone', null, '/opt/cfwrap'], '/home/jane')).toEqual(['/home/jane/.nvm/versions/node/v20', '/tmp/ci-clone'])
  })
})
