import type { Browser } from 'playwright';

export declare const CHROMIUM_ARGS: string[];
export declare function findChromium(): string;
export declare function launchBrowser(): Promise<Browser>;
