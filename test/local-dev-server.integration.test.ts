/**
 * The file-backed dev server (bench, restart tests) runs SQLite in WAL mode (src/localStack.ts,
 * FILE_DB_PRAGMAS), and what it committed survives the server being killed outright.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, startTemporalServer, stopAllChildren } from './helpers/processes.js';

/** Bytes 18 and 19 of an SQLite file's header: 1 for a rollback journal, 2 for WAL (sqlite.org/fileformat.html). */
function journalFormat(file: string): [number, number] {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return [header[18] as number, header[19] as number];
}

describe('the local dev server on a database file', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'i2c-devserver-'));
  });

  after(async () => {
    await stopAllChildren();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes in WAL mode and keeps a started workflow through a SIGKILL of the server', async () => {
    const dbFilename = join(dataDir, 'temporal.db');
    const port = await freePort();
    const server = await startTemporalServer({ dbFilename, port });
    assert.deepEqual(journalFormat(dbFilename), [2, 2]);

    let connection = await Connection.connect({ address: server.address });
    const started = await new Client({ connection }).workflow.start('noSuchWorkflowType', {
      taskQueue: 'nobody-polls-this',
      workflowId: 'kept-through-a-kill',
    });
    await connection.close();
    // SIGKILL, not the helper's SIGTERM: nothing gets the chance to checkpoint or flush.
    await stopAllChildren();

    await server.restart();
    connection = await Connection.connect({ address: server.address });
    try {
      const description = await new Client({ connection }).workflow
        .getHandle('kept-through-a-kill')
        .describe();
      assert.equal(description.runId, started.firstExecutionRunId);
      assert.equal(description.status.name, 'RUNNING');
    } finally {
      await connection.close();
      await server.stop();
    }
  });
});
