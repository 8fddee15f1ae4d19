import { readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The shell start-up files of the current OS whose exports reach every process the person starts:
 * bash, zsh, sh, fish, csh/tcsh, direnv's ~/.envrc, PowerShell's profiles (Documents on Windows,
 * ~/.config/powershell elsewhere), and the per-user credential files tools read on every run
 * (~/.npmrc, ~/.netrc), which hold long-lived tokens just as often. Files that do not exist are
 * included too: a watcher sees them when they are created.
 */
export function shellProfilePaths(home: string, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  const zdot = env.ZDOTDIR || home
  const xdgConfig = env.XDG_CONFIG_HOME || join(home, '.config')
  const paths = [
    join(home, '.profile'),
    join(home, '.bashrc'),
    join(home, '.bash_profile'),
    join(home, '.bash_login'),
    join(home, '.bash_aliases'),
    join(zdot, '.zshrc'),
    join(zdot, '.zshenv'),
    join(zdot, '.zprofile'),
    join(zdot, '.zlogin'),
    join(xdgConfig, 'fish', 'config.fish'),
    join(home, '.cshrc'),
    join(home, '.tcshrc'),
    join(home, '.login'),
    join(home, '.envrc'),
    join(home, '.npmrc'),
    join(home, '.netrc'),
  ]
  try {
    for (const entry of readdirSync(join(xdgConfig, 'fish', 'conf.d'))) {
      if (entry.endsWith('.fish')) paths.push(join(xdgConfig, 'fish', 'conf.d', entry))
    }
  } catch {
    // No fish conf.d: nothing to add.
  }
  if (platform === 'win32') {
    const documents = join(home, 'Documents')
    paths.push(
      join(documents, 'PowerShell', 'Microsoft.PowerShell_profile.ps1'),
      join(documents, 'PowerShell', 'profile.ps1'),
      join(documents, 'WindowsPowerShell', 'Microsoft.PowerShell_profile.ps1'),
    )
  } else {
    paths.push(join(xdgConfig, 'powershell', 'Microsoft.PowerShell_profile.ps1'), join(xdgConfig, 'powershell', 'profile.ps1'))
  }
  return [...new Set(paths)]
}
