// The secret scanner's public surface. Pure and browser-safe; design notes are in scan.ts.
export { scanText, scanBytes, severityOf, DEFAULT_MAX_SCAN_BYTES } from './scan'
export { FindingSchema, ScanContextSchema, ScanResultSchema, type Finding, type ScanContext, type ScanResult, type ScanSkip } from './finding'
export { ADOPTABLE_KINDS, SECRET_KINDS, SECRET_KIND_INFO, SEVERITIES, type SecretKind, type SecretKindInfo, type Severity } from './kinds'
