import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface LocalS3 {
  /** KAIF_S3_* settings pointing at this server. */
  readonly env: Readonly<Record<string, string>>;
  readonly url: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  close(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver, an npm devDependency) on loopback and
 * a random port, storing in a temporary directory: what the S3 blob store
 * is tested against here and in CI. Its fixed test credentials are s3rver's
 * own defaults.
 */
export async function startLocalS3(bucket = 'kaif-test'): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'kaif-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    url,
    bucket,
    ...credentials,
    env: {
      KAIF_S3_URL: url,
      KAIF_S3_BUCKET: bucket,
      KAIF_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      KAIF_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
