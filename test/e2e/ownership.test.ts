import type { Page } from 'playwright';
import { afterEach, describe, expect, it } from 'vitest';
import { axeViolations } from '../support/axe';
import { openAgent, openVisitor } from '../support/pages';
import { type RawVisitor, rawVisitor } from '../support/raw-visitor';
import { e2e } from '../support/suite';

const t = e2e({ gatewayPerTest: true });
const context = () => t.context();
const raws: RawVisitor[] = [];
afterEach(() => {
  for (const raw of raws.splice(0)) raw.socket.close();
});

const assignSelect = (page: Page) => page.getByRole('combobox', { name: 'Assign' });
const systemLine = (page: Page, text: string) => page.getByRole('log', { name: 'Messages' }).getByText(text);
const rows = (page: Page) => page.getByRole('list', { name: 'Conversations' }).getByRole('listitem');

describe('ownership in the console', () => {
  it('assignment and reassignment are seen live by both agents, with system lines and views', async () => {
    const visitor = await rawVisitor(t.gateway.url);
    raws.push(visitor);
    await visitor.send('My parcel is late');
    const ana = await openAgent(await context(), t.gateway.url, 'Ana');
    const ben = await openAgent(await context(), t.gateway.url, 'Ben');
    await ana.open('My parcel is late');
    await ben.open('My parcel is late');

    await assignSelect(ana.page).selectOption('Ana');
    await systemLine(ben.page, 'Ana took this conversation').waitFor();
    await expect.poll(() => assignSelect(ben.page).inputValue()).toBe('Ana');
    await rows(ben.page).filter({ hasText: 'My parcel is late' }).locator('.tag--owner', { hasText: 'Ana' }).waitFor();

    await assignSelect(ben.page).selectOption('Ben');
    await systemLine(ana.page, 'Ben took this conversation').waitFor();
    await expect.poll(() => assignSelect(ana.page).inputValue()).toBe('Ben');

    await assignSelect(ben.page).selectOption('Ana');
    await systemLine(ana.page, 'Ben assigned this conversation to Ana').waitFor();
    await expect.poll(() => assignSelect(ana.page).inputValue()).toBe('Ana');

    // Views: Ana's "Mine" holds it, Ben's does not; nobody's "Unassigned" does.
    await ana.page.getByRole('radio', { name: 'Mine' }).check();
    await ben.page.getByRole('radio', { name: 'Mine' }).check();
    await expect.poll(() => rows(ana.page).count()).toBe(1);
    await expect.poll(() => rows(ben.page).count()).toBe(0);
    await ben.page.getByRole('radio', { name: 'Unassigned' }).check();
    await expect.poll(() => rows(ben.page).count()).toBe(0);
    await assignSelect(ana.page).selectOption('');
    await systemLine(ben.page, 'Ana unassigned this conversation').waitFor();
    await expect.poll(() => rows(ben.page).count()).toBe(1);
    await expect.poll(() => rows(ana.page).count()).toBe(0);
    // The visitor heard nothing of it.
    expect(visitor.frames.join('\n')).not.toMatch(/assign|took this/);
  });
});

describe('internal notes', () => {
  it('a note is shown to agents in line and never reaches the widget or a raw visitor socket', async () => {
    const widget = await openVisitor(await context(), t.gateway.url);
    await widget.send('Can I get a refund?');
    await widget.waitSent(1);
    const session = await widget.page.evaluate(() => {
      for (const value of Object.values(localStorage)) {
        try {
          const parsed = JSON.parse(value) as { session?: unknown };
          if (typeof parsed.session === 'string') return parsed.session;
        } catch {}
      }
      return undefined;
    });
    expect(session).toBeTruthy();
    const raw = await rawVisitor(t.gateway.url, { session: session! });
    raws.push(raw);

    const ana = await openAgent(await context(), t.gateway.url, 'Ana');
    const ben = await openAgent(await context(), t.gateway.url, 'Ben');
    await ana.open('Can I get a refund?');
    await ben.open('Can I get a refund?');
    const toggle = ana.page.getByRole('button', { name: 'Note' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    const noteBox = ana.page.getByRole('textbox', { name: 'Internal note' });
    await noteBox.pressSequentially('SECRET refund approved by Ben');
    await noteBox.press('Enter');
    const note = ana.log.locator('li.note', { hasText: 'SECRET refund approved by Ben' });
    await note.waitFor();
    expect(await note.textContent()).toContain('Internal note');
    // The note style is its own: a yellow background, not the reply bubble's.
    const background = await note.locator('.msg__bubble').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(background).toBe('rgb(255, 247, 214)');
    await ben.log.locator('li.note', { hasText: 'SECRET refund approved by Ben' }).waitFor();

    // Back to replies: the reply reaches both the widget and the raw socket (so both were listening).
    await toggle.click();
    const typedSoFar = raw.frames.join('\n');
    await ana.send('A refund is on its way');
    await widget.log.getByText('A refund is on its way').waitFor();
    await expect.poll(() => raw.frames.join('\n')).toContain('A refund is on its way');
    // Writing the note showed no typing to the visitor; the reply did.
    expect(typedSoFar).not.toContain('typing');
    expect(raw.frames.join('\n')).toContain('typing');

    expect(raw.frames.join('\n')).not.toContain('SECRET');
    expect(await widget.panel.textContent()).not.toContain('SECRET');
    await widget.page.reload();
    await widget.page.locator('parley-chat [part="launcher"]').click();
    await widget.log.getByText('A refund is on its way').waitFor();
    expect(await widget.panel.textContent()).not.toContain('SECRET');
    const fresh = await rawVisitor(t.gateway.url, { session: session! });
    raws.push(fresh);
    expect(JSON.stringify(fresh.welcome)).not.toContain('SECRET');
  });
});

describe('accessibility', () => {
  it('has no axe-core violations with a note, a system line, the views and note mode, light and dark', async () => {
    const visitor = await rawVisitor(t.gateway.url);
    raws.push(visitor);
    await visitor.send('Hello there');
    for (const colorScheme of ['light', 'dark'] as const) {
      // The console's own CSP forbids the inline axe script; the console's code runs the same either way.
      const ana = await openAgent(await t.context({ bypassCSP: true }), t.gateway.url, 'Ana');
      await ana.page.emulateMedia({ colorScheme });
      await ana.open('Hello there');
      await assignSelect(ana.page).selectOption(colorScheme === 'light' ? 'Ana' : 'Ben');
      await ana.page.getByRole('button', { name: 'Note', exact: true }).click();
      const box = ana.page.getByRole('textbox', { name: 'Internal note' });
      await box.fill(`A note in ${colorScheme}`);
      await box.press('Enter');
      await ana.log.locator('li.note', { hasText: `A note in ${colorScheme}` }).waitFor();
      await ana.page.getByRole('radio', { name: 'Unassigned' }).check();
      expect(await axeViolations(ana.page)).toEqual([]);
    }
  });
});
