// Phase 1 of the console suite, against a syncd started with
// SYNCD_FAULT_COMMIT_RATE=1 and --max-attempts 1: one entry is sent and
// dead-lettered (sync_nack system_error). The suite then restarts syncd on
// the same database without the fault and retries it from the console.
import { account, SyncClient } from './wsclient.mjs';

const ws = process.env.SYNCD_WS_URL;
const client = new SyncClient(ws, 'acme');
await client.open();
client.sendEntry(account('acc-dead', 'Stuck account', '2026-01-01T10:00:00.000Z', 'dead-1'));
// A second one stays dead (the dead-letters page's screenshot shows it).
client.sendEntry({
  id: 'dead-2',
  entityType: 'Transaction',
  entityId: 'tx-9',
  operationType: 'create',
  payload: { id: 'tx-9', accountId: 'acc-dead', amount: -42.5, date: '2026-01-01', updated_at: '2026-01-01T10:05:00.000Z' },
  timestamp: Date.parse('2026-01-01T10:05:00.000Z'),
});
for (const id of ['dead-1', 'dead-2']) {
  const nack = await client.waitFor((m) => m.type === 'sync_nack' && m.id === id, `the dead-letter nack of ${id}`);
  if (nack.reason !== 'system_error') throw new Error(`expected system_error, got ${JSON.stringify(nack)}`);
  console.log(`make-dead: ${id} dead-lettered:`, nack.detail);
}
client.close();
