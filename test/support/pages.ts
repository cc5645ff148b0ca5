import type { Browser, BrowserContext, Locator, Page } from 'playwright';
import { AGENTS } from './gateway';

/** A visitor on the demo host page with the chat panel open. */
export async function openVisitor(target: Browser | BrowserContext, baseUrl: string, path = '/'): Promise<Visitor> {
  const page = await target.newPage();
  await page.goto(`${baseUrl}${path}`);
  await page.locator('parley-chat [part="launcher"]').click();
  const visitor = new Visitor(page);
  await visitor.composer.waitFor();
  return visitor;
}

export class Visitor {
  constructor(readonly page: Page) {}

  // Located by part names, so the helpers work in every language.
  get panel(): Locator {
    return this.page.locator('parley-chat [part="panel"]');
  }
  get composer(): Locator {
    return this.panel.locator('[part="composer"] textarea');
  }
  get log(): Locator {
    return this.panel.getByRole('log');
  }
  /** Text of every message bubble in the log, greeting excluded, in order. */
  async bubbles(): Promise<string[]> {
    return this.log.locator('li:not(.system) .bubble').allTextContents();
  }
  async send(text: string): Promise<void> {
    await this.composer.fill(text);
    await this.composer.press('Enter');
  }
  /** Waits until every visitor message is acknowledged by the gateway. */
  async waitSent(count: number): Promise<void> {
    await this.log
      .locator('li.visitor.sent')
      .nth(count - 1)
      .waitFor();
  }
}

/** An agent signed in to the console in a page of their own. */
export async function openAgent(
  target: Browser | BrowserContext,
  baseUrl: string,
  name: keyof typeof AGENTS,
): Promise<Agent> {
  const page = await target.newPage();
  await page.goto(`${baseUrl}/agent`);
  await page.getByLabel('Agent token').fill(AGENTS[name]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('list', { name: 'Conversations' }).waitFor();
  return new Agent(page);
}

export class Agent {
  constructor(readonly page: Page) {}

  get conversations(): Locator {
    return this.page.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
  }
  get log(): Locator {
    return this.page.getByRole('log', { name: 'Messages' });
  }
  get reply(): Locator {
    return this.page.getByRole('textbox', { name: 'Reply' });
  }
  /** Opens the conversation whose list entry shows `text` (e.g. the last message). */
  async open(text: string): Promise<void> {
    await this.conversations.filter({ hasText: text }).getByRole('button').first().click();
    await this.log.waitFor();
  }
  async messages(): Promise<string[]> {
    return (await this.log.getByRole('listitem').allTextContents()).map((t) => t.trim());
  }
  async send(text: string): Promise<void> {
    await this.reply.fill(text);
    await this.reply.press('Enter');
  }
}
