export type BrowserName = 'chromium' | 'firefox' | 'webkit' | 'xvfb' | 'miniBrowser';
export declare const ENGINE_NEEDS: Record<'chromium' | 'firefox' | 'webkit', BrowserName[]>;
export declare function locate(name: BrowserName, exists?: (path: string) => boolean): string | undefined;
export declare function installHint(name: BrowserName): string;
export declare function findBrowser(name: BrowserName): string;
export interface InstallDeps {
  exists?: (path: string) => boolean;
  run?: (cmd: string, args: string[]) => boolean;
  isRoot?: boolean;
  hasApt?: boolean;
  log?: (line: string) => void;
}
export declare function ensureBrowsers(names: BrowserName[], deps?: InstallDeps): void;
export declare function engineNames(list?: string): ('chromium' | 'firefox' | 'webkit')[];
