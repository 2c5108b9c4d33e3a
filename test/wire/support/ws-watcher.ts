import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { readonly type: string };

/** A WebSocket client of the realtime gateway, signed in and collecting frames. */
export class WsWatcher {
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static async connect(serverUrl: string, token: string): Promise<WsWatcher> {
    const socket = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/ws`, { headers: { origin: serverUrl } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const watcher = new WsWatcher(socket);
    socket.send(JSON.stringify({ type: 'auth', token }));
    await watcher.nextMatching((frame) => frame.type === 'ready');
    // Live events flow once the client has synced; from null means from now.
    socket.send(JSON.stringify({ type: 'sync', since: null }));
    await watcher.nextMatching((frame) => frame.type === 'synced');
    return watcher;
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }

  nextMatching(predicate: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a WebSocket frame')), timeoutMs);
      const check = () => {
        const index = this.frames.findIndex(predicate);
        if (index < 0) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve(this.frames.splice(index, 1)[0]!);
      };
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}
