// Issue 15's pre-chat form end to end: the built gateway with PARLEY_PRECHAT for the demo page's site, Chromium.
import { describe, expect, it } from 'vitest';
import { openAgent, openVisitor } from '../support/pages';
import { e2e } from '../support/suite';

const PRIVACY = 'https://acme.example/privacy';
describe('pre-chat form', () => {
  const t = e2e({ gateway: () => ({ env: { PARLEY_PRECHAT: `demo=${PRIVACY}` } }) });

  it('comes before the first message, needs consent, keeps the typed text, and agents see name and email', async () => {
    const visitor = await openVisitor(await t.context(), t.gateway.url);
    const name = visitor.panel.getByRole('textbox', { name: 'Name' });
    await name.waitFor();
    const policy = visitor.panel.getByRole('link', { name: 'Privacy policy' });
    expect(await policy.getAttribute('href')).toBe(PRIVACY);
    expect(await policy.getAttribute('target')).toBe('_blank');
    expect(await policy.getAttribute('rel')).toBe('noopener noreferrer');

    // Typed first: held in the composer, not sent, until the form is done.
    await visitor.send('Do you ship to Oslo?');
    expect(await visitor.composer.inputValue()).toBe('Do you ship to Oslo?');
    expect(await visitor.bubbles()).toEqual([]);

    await name.fill('Grace Hopper');
    await visitor.panel.getByRole('textbox', { name: 'Email' }).fill('grace@example.com');
    const start = visitor.panel.getByRole('button', { name: 'Start chat' });
    await start.click();
    await visitor.panel.getByRole('alert').getByText('Tick the box to agree to the privacy policy.').waitFor();
    await visitor.panel.getByRole('checkbox').check();
    await start.click();
    await name.waitFor({ state: 'detached' });

    await visitor.composer.press('Enter');
    await visitor.waitSent(1);
    expect(await visitor.bubbles()).toEqual([expect.stringContaining('Do you ship to Oslo?')]);

    // Only before the first message: a reload of the started conversation shows no form.
    await visitor.page.reload();
    await visitor.page.locator('parley-chat [part="launcher"]').click();
    await visitor.waitSent(1);
    expect(await visitor.panel.getByRole('textbox', { name: 'Name' }).count()).toBe(0);

    const agent = await openAgent(await t.context(), t.gateway.url, 'Ana');
    await agent.open('Do you ship to Oslo?');
    const details = agent.page.getByRole('complementary', { name: 'Visitor details' });
    await details.getByText('Grace Hopper', { exact: true }).waitFor();
    await details.getByText('grace@example.com', { exact: true }).waitFor();
  });
});

describe('pre-chat form on another site', () => {
  const t = e2e({ gateway: () => ({ env: { PARLEY_PRECHAT: `elsewhere=${PRIVACY}` } }) });

  it('is not shown where the site has none: the first message goes at once', async () => {
    const visitor = await openVisitor(await t.context(), t.gateway.url);
    await visitor.send('Hello there');
    await visitor.waitSent(1);
    expect(await visitor.panel.getByRole('textbox', { name: 'Name' }).count()).toBe(0);
    expect(await visitor.panel.getByRole('checkbox').count()).toBe(0);
  });
});
