import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../demo/server/config';
import { AGENTS, type Fixture, startGateway } from '../../support/in-process-gateway';

describe('PARLEY_AGENT_AVATARS', () => {
  const env = { PARLEY_AGENTS: 'Ana:s3cret,Ben:t0ken' };

  it('gives named agents an https: avatar', () => {
    const { agents } = readConfig({ ...env, PARLEY_AGENT_AVATARS: ' Ana = https://cdn.example.com/ana.png ' });
    expect(agents).toEqual([
      { name: 'Ana', token: 's3cret', avatar: 'https://cdn.example.com/ana.png' },
      { name: 'Ben', token: 't0ken' },
    ]);
  });

  it('refuses an unknown agent, a malformed entry, and any URL but https: without credentials', () => {
    for (const bad of [
      'Cleo=https://cdn.example.com/c.png',
      'https://cdn.example.com/ana.png',
      'Ana=http://cdn.example.com/ana.png',
      'Ana=javascript:alert(1)',
      'Ana=data:image/png;base64,AAAA',
      'Ana=/ana.png',
      'Ana=https://user:pw@cdn.example.com/ana.png',
    ]) {
      expect(() => readConfig({ ...env, PARLEY_AGENT_AVATARS: bad }), bad).toThrow(/PARLEY_AGENT_AVATARS/);
    }
  });
});

describe('avatars in the visitor welcome', () => {
  let fx: Fixture | undefined;
  afterEach(async () => fx?.stop());

  it('lists the agents that have one, by name', async () => {
    fx = await startGateway({ agents: [{ ...AGENTS[0]!, avatar: 'https://cdn.example.com/ana.png' }, AGENTS[1]!] });
    expect((await fx.visitor()).welcome.avatars).toEqual({ Ana: 'https://cdn.example.com/ana.png' });
  });

  it('is absent when no agent has one', async () => {
    fx = await startGateway();
    expect((await fx.visitor()).welcome).not.toHaveProperty('avatars');
  });
});
