/**
 * Fonts for rasterising SVG with resvg, which sees no fonts unless told: without them every label of a PNG is
 * silently missing. Vega writes `font-family="sans-serif"`; we load DejaVu (Debian package fonts-dejavu-core:
 * DejaVuSans, -Bold, Mono, Serif) from the usual directories and map the generic families onto it. When no
 * DejaVu file is found, resvg scans the system fonts instead (slower, machine-dependent) and a one-time warning
 * names the package to install.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DEJAVU_DIRS = [
  '/usr/share/fonts/truetype/dejavu', // Debian, Ubuntu (fonts-dejavu-core)
  '/usr/share/fonts/dejavu', // Alpine, older Fedora
  '/usr/share/fonts/TTF', // Arch
  '/usr/share/fonts/dejavu-sans-fonts', // Fedora
  '/usr/local/share/fonts/dejavu', // FreeBSD
  '/Library/Fonts',
];
const DEJAVU_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf', 'DejaVuSerif.ttf', 'DejaVuSerif-Bold.ttf'];

export interface FontSetup {
  loadSystemFonts: boolean;
  fontFiles: string[];
  defaultFontFamily?: string;
  sansSerifFamily?: string;
  serifFamily?: string;
  monospaceFamily?: string;
}

let cached: FontSetup | undefined;
let warned = false;

/** DejaVu font files found on this machine (empty if none). */
export function findDejaVuFonts(): string[] {
  for (const dir of DEJAVU_DIRS) {
    const files = DEJAVU_FILES.map((f) => join(dir, f)).filter((p) => existsSync(p));
    if (files.some((p) => p.endsWith('DejaVuSans.ttf'))) return files;
  }
  return [];
}

/** The resvg font options used by toPng (computed once). */
export function defaultFontSetup(): FontSetup {
  if (cached) return cached;
  const files = findDejaVuFonts();
  if (files.length > 0) {
    const has = (name: string) => files.some((f) => f.endsWith(`/${name}`));
    cached = {
      loadSystemFonts: false,
      fontFiles: files,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      serifFamily: has('DejaVuSerif.ttf') ? 'DejaVu Serif' : 'DejaVu Sans',
      monospaceFamily: has('DejaVuSansMono.ttf') ? 'DejaVu Sans Mono' : 'DejaVu Sans',
    };
  } else {
    if (!warned) {
      warned = true;
      console.warn('toPng: DejaVu Sans not found (Debian/Ubuntu: apt-get install fonts-dejavu-core); using the system fonts, PNG text may be missing');
    }
    cached = { loadSystemFonts: true, fontFiles: [] };
  }
  return cached;
}
