import { MODULES } from '../../packages/server/src/modules/index.js';
import { runBenchServer } from '../support/bench-server-process.js';

/**
 * The media bench's server (see runBenchServer): embedded engines, blobs on
 * disk (KAIF_S3_URL etc. from the environment switch to S3), upload budgets
 * lifted.
 */
await runBenchServer('media', MODULES, { KAIF_MEDIA_UPLOADS_PER_MINUTE: '1000000' });
