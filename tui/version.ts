/** The package's version, read once from package.json (two levels up when running from dist/). */
import { readFileSync } from 'node:fs';

const PACKAGE_JSON = new URL(import.meta.url.endsWith('.ts') ? '../package.json' : '../../package.json', import.meta.url);

export const VERSION: string = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

/** The version as QMP's greeting gives it. */
export function versionTriple(): { major: number; minor: number; micro: number } {
  const [major = 0, minor = 0, micro = 0] = VERSION.split('.').map((part) => Number.parseInt(part, 10));
  return { major, minor, micro };
}
