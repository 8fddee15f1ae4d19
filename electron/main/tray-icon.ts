// The tray icon, drawn by a script (an orange cloud with a keyhole; black for macOS's template
// images, which the menu bar recolours for light and dark mode). Embedded as PNG data so the main
// bundle needs no asset copying and the icon cannot go missing from a package.

/** 16 px and 32 px (2x) PNGs, base64, in Cloudflare orange for Windows and Linux trays. */
export const COLOR_ICON_PNG = { x1: 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAdklEQVR42mP43KDAQAlmGNQGGHxuUFj/uUHhPxSvh4oRZQBI4XskzTD8Ht0QXAasx6IZ2SU4DQCZfh6PZhjGaoACFmeD+AFQjCy3H+YVZAMKsNi0H0l+PzY5QgbAAg1XoBL0AgjPh+L/hFxASiBiDYNhmBeIwgBnsOACl8f6CAAAAABJRU5ErkJggg==', x2: 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAA10lEQVR42u2W2w3DIAxFGYERPAIjdARGyQjegBEYhREYwUMwQKJKRqJV2uDgKKrKx/1BhnvAD2EKgrlTZgJMgF8GcAUhFgQqCCuLeM1dCWALQmhMPylwrCrA88DcYV6VjyCkAEFg3r6ECoA7YV7lNADiAEAcAViEed8TnQGwCsatxABZcDtk0Ze4VBB8L8AiMLdvr0aSehi9Pe7sxY59/ghgvRggaQGcScFLUY6moEIAi6RdMVqEVQ9Wb3zSbMNa2ZJJ6e8YRKI21B7F4kE0/4QTYAL8D8AG9OiCUkBdnL4AAAAASUVORK5CYII=' } as const

/** 16 px and 32 px (2x) PNGs, base64, black on transparent, for macOS template images. */
export const TEMPLATE_ICON_PNG = { x1: 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAZUlEQVR42mNgGNbAgIGBYT0DA8N/KF4PFSNa83skzTD8nlhD1mPRjOwSvDafx6MZhrECBSzOBvEDoBhZbj82rxRgsWk/kvx+PHI4DYAFGq5AJegFEJ4Pxf8JuYCUQNxPSpoY7gAAAyRM8yfqaqsAAAAASUVORK5CYII=', x2: 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAvklEQVR42u1UwQ2EMAzzCIzACIxwIzBKR+gGHaGjdISOkFHKJ0gIwZGUcPcglvypUtlN3AAOh6MfE4AMgAA0JvHZ9KTwACBtRM+YuNZcvArEV1ZrE0khvu2E2cxbJ00ykW8YyHeEg3LuR6RfBO6KalTF6yKTvtQVALOm7VLxYdc1ssiD9PXx4G4U3LvsRHvYQLEy0DMCUSir0sTIJKtfEZRf7MOU1hfLIK7J1mzK+R+LqHstByMjqkXkcDjegwXI1jX4graStgAAAABJRU5ErkJggg==' } as const
