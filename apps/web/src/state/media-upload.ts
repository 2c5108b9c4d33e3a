import { type DetailedError, Upload } from 'tus-js-client';
import type { Media } from './types.js';

/** Files from this size go up resumably (tus 1.0, /api/v1/uploads): a dropped connection or a reload costs one chunk, not the file. */
export const RESUMABLE_FROM = 8 * 1024 * 1024;
/** One PATCH each: what a dropped connection can lose, and how often the server confirms progress. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Waits between retries after a network failure: about two minutes in all before the upload gives up. */
const RETRY_DELAYS = [0, 1000, 2000, 3000, 5000, 5000, 10_000, 10_000, 15_000, 20_000, 30_000];

/** The server's refusal of an upload, with its code (API.md errors). */
export class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/**
 * Uploads a file: small ones whole (multipart), large ones resumably (tus).
 * POST /api/v1/media with XMLHttpRequest: fetch reports no upload
 * progress, and a progress bar is the point. Multipart, field `file`.
 */
export function uploadMedia(baseUrl: string, token: () => Promise<string | null>, file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media> {
  return file.size >= RESUMABLE_FROM ? uploadResumable(baseUrl, token, file, onProgress, signal) : token().then((value) => uploadWhole(baseUrl, value, file, onProgress, signal));
}

function uploadWhole(baseUrl: string, token: string | null, file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', new URL('/api/v1/media', baseUrl));
    if (token) request.setRequestHeader('authorization', `Bearer ${token}`);
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201) return resolve(request.response as Media);
      const error = (request.response as { error?: { code: string; message: string } } | null)?.error;
      reject(new UploadError(error?.code ?? 'INTERNAL', error?.message ?? `Upload failed (${request.status})`));
    };
    request.onerror = () => reject(new UploadError('NETWORK', 'The connection dropped during the upload'));
    request.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal.addEventListener('abort', () => request.abort(), { once: true });
    const form = new FormData();
    form.append('file', file, file.name);
    request.send(form);
  });
}

/**
 * A file the browser already began to upload is known by this, so a reload
 * (the user attaches it again) resumes it: its name, size and type, and a
 * hash of its first and last MiB — not its modification time, which a
 * re-picked copy may not keep. The server keeps an upload to the user who
 * began it: another user's resume finds nothing and starts afresh.
 */
async function fingerprintOf(file: File, baseUrl: string): Promise<string> {
  const sample = new Uint8Array(await new Blob([file.slice(0, 1 << 20), file.slice(Math.max(0, file.size - (1 << 20)))]).arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', sample));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `kaif-tus:${new URL(baseUrl).origin}:${file.size}:${file.type}:${hex}:${file.name}`;
}

/**
 * tus 1.0 at /api/v1/uploads (tus-js-client): chunk by chunk; after a
 * dropped connection it asks the server how far it got (HEAD) and goes on
 * from there, retrying for about two minutes; the upload's URL is kept in
 * localStorage under the file's fingerprint, so after a reload the same
 * file resumes too. The last PATCH answers with the media, or with the
 * server's error. Cancelling ends the upload on the server as well.
 */
function uploadResumable(baseUrl: string, token: () => Promise<string | null>, file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(file, {
      endpoint: new URL('/api/v1/uploads', baseUrl).toString(),
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS,
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      fingerprint: () => fingerprintOf(file, baseUrl),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // A fresh token on every request: a long upload may outlive one.
      async onBeforeRequest(request) {
        const value = await token();
        if (value) request.setHeader('authorization', `Bearer ${value}`);
      },
      // A dropped connection (no answer) or a server in trouble is worth another try; a refusal is not.
      onShouldRetry(error) {
        const status = error.originalResponse?.getStatus() ?? 0;
        return status === 0 || status === 409 || status === 423 || status === 429 || (status >= 500 && status !== 501);
      },
      onProgress: (sent, total) => onProgress(total > 0 ? sent / total : 0),
      onSuccess: ({ lastResponse }) => {
        try {
          resolve(JSON.parse(lastResponse.getBody()) as Media);
        } catch {
          reject(new UploadError('INTERNAL', 'The server did not say what it stored'));
        }
      },
      onError: (error) => reject(uploadErrorOf(error as DetailedError)),
    });
    signal.addEventListener(
      'abort',
      () => {
        // true: the server deletes what it received, and the fingerprint is forgotten.
        void upload.abort(true).catch(() => undefined);
        reject(new DOMException('Upload cancelled', 'AbortError'));
      },
      { once: true },
    );
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (signal.aborted) return;
        const newest = [...previous].sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
        if (newest) upload.resumeFromPreviousUpload(newest);
        upload.start();
      })
      .catch(() => upload.start());
  });
}

function uploadErrorOf(error: DetailedError): UploadError {
  const response = error.originalResponse;
  if (!response) return new UploadError('NETWORK', 'The connection dropped during the upload');
  try {
    const body = JSON.parse(response.getBody()) as { error?: { code: string; message: string } };
    if (body.error) return new UploadError(body.error.code, body.error.message);
  } catch {
    // Not the server's JSON error: said by status below.
  }
  return new UploadError(response.getStatus() === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL', `Upload failed (${response.getStatus()})`);
}
