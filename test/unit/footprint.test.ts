/** What the service loads and keeps in memory that it does not need: each case was resident once. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

const APP = new URL('../../src/app.ts', import.meta.url).href;
const BUILT = new URL('../../dist/descriptors.binpb', import.meta.url);

describe('memory footprint', () => {
  it('does not load the MongoDB driver for the embedded store', () => {
    // A fresh process: this one may have loaded the driver for other tests.
    const script = `
      import { createRequire } from 'node:module';
      const { createStorage } = await import(${JSON.stringify(APP)});
      const { createLogger } = await import(${JSON.stringify(new URL('../../src/logger.ts', import.meta.url).href)});
      const storage = await createStorage({ MONGODB_URI: undefined, SWEEP_INTERVAL_MS: 60000 }, createLogger('silent'));
      await storage.lifecycle.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/node_modules/mongodb/'));
      console.log(loaded.length);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(out.trim(), '0', 'no module of the mongodb package was loaded');
  });

  it("keeps comments in the descriptors of our proto only, not in Envoy's or Google's", () => {
    const files = fromBinary(FileDescriptorSetSchema, readFileSync(BUILT)).file;
    const commented = files.filter((file) => (file.sourceCodeInfo?.location.length ?? 0) > 0).map((file) => file.name);
    assert.ok(commented.includes('auth/v1/auth.proto'), 'grpcurl describe shows our comments');
    // Well-known types come with our set, comments and all; they are small.
    assert.deepEqual(
      commented.filter((name) => !name.startsWith('auth/') && !name.startsWith('google/protobuf/')),
      [],
    );
  });
});
