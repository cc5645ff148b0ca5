// The soak's section of BENCHMARKS.md (bench/soak.mjs writes it; `npm run bench` keeps it when it rewrites the file).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- soak: written by `npm run bench:soak` (bench/soak.mjs); `npm run bench` keeps it -->';
const END = '<!-- /soak -->';

const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
const int = (n) => Math.round(n).toLocaleString('en-US');
const signed = (b) => `${b >= 0 ? '+' : '−'}${mb(Math.abs(b))}`;

/** What counts as "no growth": the thresholds the verdict applies. */
export const SOAK_BOUNDS = { heapGrowth: 0.1, heapSlackBytes: 5 * 1024 * 1024, fdSlack: 0.02, bytesPerMessage: 1024 };

export function soakVerdict(samples) {
  // From the end of the first window (caches, JIT and pools warmed up) to the end of the run.
  const first = samples[Math.min(1, samples.length - 1)];
  const last = samples.at(-1);
  const heapGrowth = last.heapUsed - first.heapUsed;
  const heapOk = heapGrowth <= Math.max(SOAK_BOUNDS.heapSlackBytes, first.heapUsed * SOAK_BOUNDS.heapGrowth);
  const fdOk = Math.abs(last.fds - samples[0].fds) <= samples[0].fds * SOAK_BOUNDS.fdSlack;
  // The database's pages when measured (WAL included); runs before that measured the files, whose WAL grows to its
  // bound (~40 MB) in the first window: then from the end of the first window.
  const size = (s) => s.dataBytes ?? s.dbBytes;
  const from = first.dataBytes === undefined ? first : samples[0];
  const messages = last.messages - from.messages;
  const bytesPerMessage = messages > 0 ? (size(last) - size(from)) / messages : 0;
  const dbOk = bytesPerMessage <= SOAK_BOUNDS.bytesPerMessage;
  const dbGrowth = size(last) - size(from);
  return {
    first,
    last,
    heapGrowth,
    heapOk,
    fdOk,
    messages,
    bytesPerMessage,
    dbGrowth,
    dbOk,
    ok: heapOk && fdOk && dbOk,
  };
}

export function renderSoak(r) {
  const { params: o, samples, counters } = r;
  const v = soakVerdict(samples);
  const out = [START, '', `### Soak: ${o.durationMs / 60_000} minutes, ${int(o.visitors)} visitors with churn`, ''];
  if (r.aborted) {
    out.push(
      `**The run stopped early** (${r.aborted}) after ${samples.at(-1).minute.toFixed(1)} minutes; the table shows what was measured until then.`,
      '',
    );
  }
  out.push(
    `\`npm run bench:soak\` (not part of \`npm run bench\` nor CI), started ${r.startedAt ?? '—'}; load average ` +
      `before ${(r.loadBefore ?? []).join(' / ')}, after ${(r.load ?? []).join(' / ')} (1 / 5 / 15 min)` +
      `${(r.loadBefore?.[0] ?? 0) > 2 ? ': **a busy machine**, other work shared the 2 cores' : ''}. One gateway ` +
      `(SQLite), ${int(o.visitors)} visitors and 20 agents; ${o.visitorRate} visitor messages/s, ${o.agentRate} agent ` +
      `replies/s, ${o.typingRate} visitor typing events/s; every minute ${Math.round(o.churnFraction * 100)}% of the ` +
      'visitors disconnect and reconnect with their session. Heap is measured after a full garbage collection ' +
      "(bench/soak-probe.mjs, preloaded into the gateway); event-loop delay is the gateway's own, over the window: how " +
      'late a timer due every 10 ms ran.',
    '',
    '| minutes | RSS start → end | heap after GC start → end | event-loop delay p99 (max) | open files at end | database files (with WAL) at end | messages stored at end |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  const digits = o.windowMs < 60_000 ? 1 : 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    out.push(
      `| ${a.minute.toFixed(digits)}–${b.minute.toFixed(digits)} | ${mb(a.rss)} → ${mb(b.rss)} | ${mb(a.heapUsed)} → ${mb(b.heapUsed)} | ` +
        `${b.eventLoop.p99} ms (${b.eventLoop.max} ms) | ${int(b.fds)} | ${mb(b.dbBytes)} | ${int(b.messages)} |`,
    );
  }
  const errors = Object.values(counters.sendErrors ?? {}).reduce((n, k) => n + k, 0) + (counters.agentReplyErrors ?? 0);
  const back = (r.churned ?? []).filter((c) => c.back).length;
  out.push(
    '',
    r.aborted
      ? 'Traffic totals are not available: the load process was gone.'
      : `Traffic: ${int(counters.visitorAcked)} visitor messages and ${int(counters.agentRepliesAcked)} agent replies ` +
          `acknowledged, ${int(counters.typingSent)} typing events; ${int(errors)} error acks; ${r.churned?.length ?? 0} ` +
          `churn rounds of ${int(r.churned?.[0]?.churned ?? 0)} visitors, ${back} of them all back within 50 s; ` +
          `${int(counters.connected)} visitors connected at the end.`,
    '',
    `**Verdict: ${v.ok ? 'no growth beyond what the stored messages explain' : 'growth not explained by the stored messages'}** (${v.ok ? 'pass' : '**miss**'}):`,
    `heap after GC ${signed(v.heapGrowth)} from the end of the first window to the end (bound: ` +
      `${Math.round(SOAK_BOUNDS.heapGrowth * 100)}% or 5 MB) ${v.heapOk ? 'pass' : '**miss**'}; ` +
      `open files ${int(samples[0].fds)} → ${int(v.last.fds)} ${v.fdOk ? 'pass' : '**miss**'}; the database grew ` +
      `${mb(v.dbGrowth)} for ${int(v.messages)} messages${v.first.dataBytes === undefined ? ' (files, from the end of the first window, when the WAL had reached its bound)' : ''}, ${int(v.bytesPerMessage)} bytes ` +
      `each (a ~110-character text, ids, two unique indexes; bound ${SOAK_BOUNDS.bytesPerMessage} B) ` +
      `${v.dbOk ? 'pass' : '**miss**'}. RSS ${mb(v.first.rss)} → ${mb(v.last.rss)} over the same span.`,
    '',
    END,
  );
  return out.join('\n');
}

/** The soak section of an existing BENCHMARKS.md text, or ''. */
export function soakSection(text) {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a >= 0 && b > a ? text.slice(a, b + END.length) : '';
}

/** Replaces (or appends) the soak section of `file`. */
export function writeSoakSection(file, section) {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const old = soakSection(text);
  writeFileSync(file, old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}\n`);
}

/** `report` (a freshly rendered BENCHMARKS.md) with the soak section of the file it replaces, if any. */
export function keepSoakSection(report, file) {
  const kept = existsSync(file) ? soakSection(readFileSync(file, 'utf8')) : '';
  return kept ? `${report.trimEnd()}\n\n${kept}\n` : report;
}
