/** The README's after-load snippet for parley.js at `src`, with the script tag's attributes named without `data-`. */
export declare function afterLoadSnippet(src: string, attrs: Record<string, string>): string;
