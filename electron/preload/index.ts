// The preload exposes named, typed methods only; no raw ipcRenderer reaches the renderer.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('cfwrap', {})
