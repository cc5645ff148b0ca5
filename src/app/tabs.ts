import { createTabs as createClientTabs } from '../client/tabs';

/** What the widget's tabs of one site tell each other (the client core's tabs, channel `parley:<site>`). */
export type TabMessage = { type: 'outbox' } | { type: 'read'; seq: number } | { type: 'identify' };

/** The tabs of one site: the outbox lock, the chime played once, and messages (`src/client/tabs.ts`). */
export const createTabs = (site: string) => createClientTabs<TabMessage>(`parley:${site}`);

export type Tabs = ReturnType<typeof createTabs>;
