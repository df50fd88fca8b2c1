// A small WebSocket sync client for the console tests (Node 20 has no
// WebSocket client; the `ws` package is the one dependency for it).
import WebSocket from 'ws';

export class SyncClient {
  constructor(wsBase, tenant) {
    this.tenant = tenant;
    this.messages = [];
    this.waiters = [];
    this.socket = new WebSocket(`${wsBase}/ws/${encodeURIComponent(tenant)}`);
    this.socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      this.messages.push(msg);
      for (const w of [...this.waiters]) w();
    });
  }

  open() {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === WebSocket.OPEN) return resolve();
      this.socket.once('open', resolve);
      this.socket.once('error', reject);
    });
  }

  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  sendEntry(entry) {
    this.send({ type: 'process_sync_entry', payload: { tenantId: this.tenant, ...entry } });
  }

  sendBatch(entries) {
    this.send({ type: 'process_sync_batch', entries: entries.map((e) => ({ tenantId: this.tenant, ...e })) });
  }

  // The first message (received so far or later) matching `predicate`.
  waitFor(predicate, what, timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(predicate);
        if (!found) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${this.tenant}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  close() {
    this.socket.close();
  }
}

export function account(id, name, updatedAt, entryId) {
  return {
    id: entryId,
    entityType: 'Account',
    entityId: id,
    operationType: 'update',
    payload: { id, name, accountGroupId: 'group-1', updated_at: updatedAt },
    timestamp: Date.parse(updatedAt),
  };
}
