import type { Media } from './types.js';

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
 * POST /api/v1/media with XMLHttpRequest: fetch reports no upload
 * progress, and a progress bar is the point. Multipart, field `file`.
 */
export function uploadMedia(baseUrl: string, token: string | null, file: File, onProgress: (sent: number) => void, signal: AbortSignal): Promise<Media> {
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
