import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSecretHistory, fileSecretStore, memorySecretStore } from '@kaif/client/node';
import type { MessageView } from '@kaif/protocol';
import { sql } from 'kysely';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS, type ChatClient, signUp } from '../messaging/chat-client.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { sdkClient } from '../support/sdk-clients.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { rawAuthenticated } from '../wire/support/raw-tcp.js';
import { tcpPort } from '../wire/support/wire-server.js';
import { type TestDevice, databaseHolds, newDevice, openDevice, texts } from './secret-support.js';

for (const engines of ENGINE_SETS) {
  describe(`secret chats (${engines})`, () => {
    let server: TestServer;
    let ana: RegisteredUser;
    let bo: RegisteredUser;
    let ana1: TestDevice;
    let ana2: TestDevice;
    let bo1: TestDevice;
    let bo2: TestDevice;
    let chatId: string;
    let raw: ChatClient;

    beforeAll(async () => {
      // Trace: the canary must not reach the logs even at the most talkative level.
      server = await startTestServer({ engines, env: { LOG_LEVEL: 'trace' } });
      [ana, bo] = await Promise.all([registerUser(server), registerUser(server)]);
      [ana1, ana2, bo1, bo2] = await Promise.all([
        newDevice(server, ana, 'ana1'),
        newDevice(server, ana, 'ana2'),
        newDevice(server, bo, 'bo1'),
        newDevice(server, bo, 'bo2'),
      ]);
      raw = await signUp(server);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const all = () => [ana1, ana2, bo1, bo2];

    it('creates a group of every device of both users, and each device decrypts every message in order', async () => {
      chatId = await ana1.secret.create([bo.user.id]);
      for (const device of [ana2, bo1]) expect(await device.secret.acceptWelcomes()).toEqual([chatId]);
      await ana1.secret.send(chatId, 'one from ana1');
      await bo1.secret.send(chatId, 'two from bo1');
      await ana2.secret.send(chatId, 'three from ana2');
      // bo2 was offline all along: it joins and catches up only now.
      expect(await bo2.secret.acceptWelcomes()).toEqual([chatId]);
      for (const device of all()) await device.secret.sync(chatId);
      for (const device of all()) {
        expect(texts(device, chatId), device.name).toEqual(['one from ana1', 'two from bo1', 'three from ana2']);
        expect(device.refused, device.name).toEqual([]);
      }
      const epochs = await Promise.all(all().map((device) => device.secret.epoch(chatId)));
      expect(new Set(epochs).size).toBe(1);
      expect((await ana1.secret.devices(chatId)).map((device) => device.deviceId).sort()).toEqual(all().map((d) => d.secret.deviceId).sort());
    });

    it('delivers the ciphertext unchanged over the WebSocket, and a following device shows it live', async () => {
      bo1.client.realtime.connect();
      const stop = bo1.secret.follow();
      const live = new Promise<MessageView>((resolve) => {
        const off = bo1.client.on('message.new', (event) => {
          if (event.chatId !== chatId) return;
          off();
          resolve(event.data);
        });
      });
      await new Promise<void>((resolve) => bo1.client.on('online', () => resolve()));
      const sent = await ana2.secret.send(chatId, 'live over the socket');
      expect((await live).ciphertext).toBe(sent.ciphertext);
      await expect.poll(() => texts(bo1, chatId).at(-1)).toBe('live over the socket');
      await bo1.secret.settled();
      stop();
      bo1.client.realtime.disconnect();
      for (const device of all()) await device.secret.sync(chatId);
    });

    it('sends over the WebSocket too: a message and a commit reach every device, a stale commit is EPOCH_CONFLICT', async () => {
      const secretFrames = async () => {
        const metrics = await (await fetch(`${server.opsUrl}/metrics`)).text();
        return Number(/kaif_realtime_frames_received_total\{type="secret.send"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
      };
      const framesBefore = await secretFrames();
      const online = new Promise<void>((resolve) => ana1.client.on('online', () => resolve()));
      ana1.client.realtime.connect();
      await online;
      const sent = await ana1.secret.send(chatId, 'sent over the socket');
      await ana1.secret.updateKeys(chatId);
      expect(await secretFrames()).toBe(framesBefore + 2);
      const epoch = await ana1.secret.epoch(chatId);
      for (const device of [ana2, bo1, bo2]) {
        await device.secret.sync(chatId);
        expect(texts(device, chatId).at(-1)).toBe('sent over the socket');
        expect(await device.secret.epoch(chatId)).toBe(epoch);
      }
      const [stored] = await bo1.client.messages.list(chatId, { after: sent.seq - 1, limit: 1 });
      expect(stored?.ciphertext).toBe(sent.ciphertext);

      const stale = { clientMsgId: 'ws-stale-commit', kind: 'commit' as const, epoch: epoch - 1, ciphertext: 'AAAA' };
      await expect(ana1.client.realtime.sendSecret(chatId, stale)).rejects.toMatchObject({ code: 'EPOCH_CONFLICT' });
      const bogus = { ...stale, clientMsgId: 'ws-bogus', kind: 'gossip' } as unknown as typeof stale;
      await expect(ana1.client.realtime.sendSecret(chatId, bogus)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'kind' });
      ana1.client.realtime.disconnect();
    });

    it('delivers the ciphertext unchanged over CosmicProto TCP, pushed and in history', async () => {
      const tcp = await rawAuthenticated(tcpPort(server), (await bo1.client.tokens.accessToken())!);
      const sent = await ana1.secret.send(chatId, 'over tcp');
      const pushed = await tcp.nextMatching((packet) => packet.packet_type === 'NewMessage');
      expect(pushed.message).toMatchObject({
        chat_id: chatId,
        message_type: 'Encrypted',
        content: '',
        ciphertext: sent.ciphertext,
        secret_kind: 'application',
      });
      tcp.write({ packet_type: 'GetMessages', chat_id: chatId, page: 1, per_page: 1 });
      const page = await tcp.nextMatching((packet) => packet.packet_type === 'Messages');
      expect(page.messages).toEqual([expect.objectContaining({ id: sent.id, ciphertext: sent.ciphertext })]);
      tcp.socket.destroy();
      for (const device of all()) await device.secret.sync(chatId);
      for (const device of all()) expect(texts(device, chatId).at(-1), device.name).toBe('over tcp');
    });

    it('delivers the ciphertext unchanged over Socket.IO, and answers a secret.send emitted there', async () => {
      const socket = io(server.url, { auth: { token: await bo1.client.tokens.accessToken() }, reconnection: false, forceNew: true });
      await new Promise((resolve) => socket.once('ready', resolve));
      const synced = new Promise((resolve) => socket.once('synced', resolve));
      const received = new Promise<MessageView>((resolve) => socket.on('message.new', (frame: { data: MessageView }) => resolve(frame.data)));
      socket.emit('sync', { since: null });
      await synced;
      const sent = await ana1.secret.send(chatId, 'over socket.io');
      expect((await received).ciphertext).toBe(sent.ciphertext);
      const stale = { chatId, clientMsgId: 'sio-stale-commit', kind: 'commit', epoch: (await bo1.secret.epoch(chatId)) - 1, ciphertext: 'AAAA' };
      const answer = await new Promise((resolve) => socket.emit('secret.send', stale, resolve));
      expect(answer).toMatchObject({ type: 'error', error: { code: 'EPOCH_CONFLICT' } });
      socket.close();
      for (const device of all()) await device.secret.sync(chatId);
    });

    it('shows the same safety number for a member on every device, as 30 digits', async () => {
      const numbers = await Promise.all(all().map((device) => device.secret.safetyNumber(chatId, ana.user.id)));
      expect(new Set(numbers).size).toBe(1);
      expect(numbers[0]).toMatch(/^(\d{5} ){5}\d{5}$/);
      expect(await ana1.secret.safetyNumber(chatId, bo.user.id)).not.toBe(numbers[0]);
    });

    it('refuses text in a secret chat and ciphertext in a normal one, and a second commit for one epoch', async () => {
      const asBo = await signUp(server);
      const text = await bo1.client.messages
        .send(chatId, { text: 'plaintext' })
        .catch((error: { status: number; code: string; field: string }) => error);
      expect(text).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'text' });
      const group = await asBo.createChat({ type: 'group', title: 'plain' });
      const body = { clientMsgId: 'x', kind: 'application', epoch: 0, ciphertext: 'AAAA' };
      const ciphertext = await asBo.call('POST', `/chats/${group.id}/secret-messages`, body);
      expect(ciphertext.status).toBe(400);
      expect(ciphertext.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'ciphertext' } });
      const epoch = await bo1.secret.epoch(chatId);
      const stale = await bo1.client.secret
        .send(chatId, { clientMsgId: 'stale-commit', kind: 'commit', epoch: epoch - 1, ciphertext: 'AAAA' })
        .catch((error: { status: number; code: string }) => error);
      expect(stale).toMatchObject({ status: 409, code: 'EPOCH_CONFLICT' });
    });

    it('lets two devices commit at once: one wins, the other retries, and every device ends in the same epoch', async () => {
      const before = await ana1.secret.epoch(chatId);
      const conflicts = () => server.logs.filter((line) => line.route === '/api/v1/chats/:id/secret-messages' && line.status === 409).length;
      const conflictsBefore = conflicts();
      await Promise.all([ana2.secret.updateKeys(chatId), bo1.secret.updateKeys(chatId)]);
      expect(conflicts() - conflictsBefore).toBeGreaterThanOrEqual(1);
      for (const device of all()) await device.secret.sync(chatId);
      const epochs = await Promise.all(all().map((device) => device.secret.epoch(chatId)));
      expect(epochs).toEqual(epochs.map(() => before + 2));
      await bo2.secret.send(chatId, 'after both updates');
      for (const device of all()) await device.secret.sync(chatId);
      for (const device of all()) expect(texts(device, chatId).at(-1), device.name).toBe('after both updates');
      for (const device of all()) expect(device.refused, device.name).toEqual([]);
    });

    it('shuts out a removed device from everything sent after its removal', async () => {
      await ana1.secret.removeDevice(chatId, bo2.secret.deviceId);
      await bo1.secret.send(chatId, 'bo2 must not read this');
      for (const device of all()) await device.secret.sync(chatId);
      for (const device of [ana1, ana2, bo1]) expect(texts(device, chatId)).toContain('bo2 must not read this');
      expect(texts(bo2, chatId)).not.toContain('bo2 must not read this');
      expect(bo2.refused.map((failure) => failure.reason)).toContain('removed');
      expect(await bo2.secret.isMember(chatId)).toBe(false);
    });

    it('lets a device added later read from then on, never what came before', async () => {
      const ana3 = await newDevice(server, ana, 'ana3');
      const changes: string[][] = [];
      const stop = bo1.secret.on('secret.members', (change) => changes.push(change.devices.map((device) => device.deviceId)));
      await ana1.secret.addDevicesOf(chatId, [ana.user.id]);
      await bo1.secret.sync(chatId);
      stop();
      expect(changes.at(-1)).toContain(ana3.secret.deviceId);
      expect(await ana3.secret.acceptWelcomes()).toEqual([chatId]);
      await bo1.secret.send(chatId, 'welcome ana3');
      await ana3.secret.sync(chatId);
      expect(texts(ana3, chatId)).toEqual(['welcome ana3']);
      const earlier = (await ana3.client.messages.list(chatId, { after: 0, limit: 100 })).find((m) => m.secretKind === 'application');
      await expect(ana3.secret.tryDecrypt(chatId, earlier!)).rejects.toThrow();
      for (const device of [ana1, ana2, bo1]) await device.secret.sync(chatId);
    });

    it('keeps a Node device in a file: a member added later reads the chat, and what it read before, after a restart', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'kaif-secret-'));
      const [path, historyPath] = [join(directory, 'device.json'), join(directory, 'history.json')];
      const carl = await registerUser(server);
      const before = await newDevice(server, carl, 'carl', fileSecretStore(path), undefined, fileSecretHistory(historyPath));
      await ana1.secret.addMembers(chatId, [carl.user.id]);
      expect(await before.secret.acceptWelcomes()).toEqual([chatId]);
      await ana2.secret.send(chatId, 'before the restart');
      await before.secret.sync(chatId);
      const tokens = await before.client.tokens.tokens();
      const after = await openDevice(sdkClient(server.url, tokens), fileSecretStore(path), carl.user.id, 'carl again', undefined, fileSecretHistory(historyPath));
      expect(after.secret.deviceId).toBe(before.secret.deviceId);
      // The message key is used up: only the local history can show it again.
      expect((await after.secret.history(chatId)).map((entry) => entry.text)).toEqual(['before the restart']);
      await ana2.secret.send(chatId, 'after the restart');
      await after.secret.sync(chatId);
      expect(texts(after, chatId)).toEqual(['after the restart']);
      expect((await after.secret.history(chatId)).map((entry) => [entry.senderId, entry.text])).toEqual([
        [ana.user.id, 'before the restart'],
        [ana.user.id, 'after the restart'],
      ]);
      for (const file of [path, historyPath]) expect((await stat(file)).mode & 0o777).toBe(0o600);
      for (const device of [ana1, ana2, bo1]) await device.secret.sync(chatId);
    });

    it('updates the keys of a device on schedule: after so many of its messages, or when its last commit is old', async () => {
      const [erin, fay] = await Promise.all([registerUser(server), registerUser(server)]);
      const every3 = await newDevice(server, erin, 'erin', memorySecretStore(), { everyMessages: 3, everyMs: 3_600_000 });
      const always = await newDevice(server, fay, 'fay', memorySecretStore(), { everyMessages: 1000, everyMs: 0 });
      const chat = await every3.secret.create([fay.user.id]);
      await always.secret.acceptWelcomes();
      const start = await every3.secret.epoch(chat);
      for (const text of ['1', '2']) await every3.secret.send(chat, text);
      expect(await every3.secret.epoch(chat)).toBe(start);
      await every3.secret.send(chat, '3');
      expect(await every3.secret.epoch(chat)).toBe(start + 1);
      await always.secret.send(chat, 'stale keys: update');
      expect(await always.secret.epoch(chat)).toBe(start + 2);
      await every3.secret.sync(chat);
      expect(texts(every3, chat)).toEqual(['1', '2', '3', 'stale keys: update']);
      expect(await every3.secret.epoch(chat)).toBe(start + 2);
    });

    it('refuses, with a visible error, a ciphertext altered on the server, a replay and a reordering', async () => {
      const db = server.adapters.db.kysely<unknown>();
      const alter = await bo1.secret.send(chatId, 'altered on the server');
      await sql`
        update messaging.secret_messages
        set ciphertext = overlay(ciphertext placing (case when substr(ciphertext, 60, 1) = 'A' then 'B' else 'A' end) from 60 for 1)
        where message_id = ${alter.id}::uuid`.execute(db);
      await ana2.secret.sync(chatId);
      expect(texts(ana2, chatId)).not.toContain('altered on the server');
      expect(ana2.refused.at(-1)).toMatchObject({ messageId: alter.id, reason: 'undecryptable' });
      // Kept as a refusal in the local history, never as text; the sender keeps what it sent.
      const kept = (await ana2.secret.history(chatId)).find((entry) => entry.messageId === alter.id);
      expect(kept).toMatchObject({ senderId: bo.user.id, refusal: { reason: 'undecryptable' } });
      expect(kept?.text).toBeUndefined();
      expect((await bo1.secret.history(chatId)).find((entry) => entry.messageId === alter.id)).toMatchObject({ text: 'altered on the server', mine: true });

      const original = await bo1.secret.send(chatId, 'said once');
      const stored = (await bo1.client.messages.list(chatId, { after: original.seq - 1, limit: 1 }))[0]!;
      const again = { clientMsgId: 'replay', kind: 'application' as const, epoch: stored.epoch!, ciphertext: stored.ciphertext! };
      const replay = await bo1.client.secret.send(chatId, again);
      await ana2.secret.sync(chatId);
      expect(texts(ana2, chatId).filter((text) => text === 'said once')).toHaveLength(1);
      expect(ana2.refused.at(-1)).toMatchObject({ messageId: replay.id });

      const first = await bo1.secret.send(chatId, 'first');
      const second = await bo1.secret.send(chatId, 'second');
      await sql`
        update messaging.secret_messages s set ciphertext = o.ciphertext
        from messaging.secret_messages o
        where (s.message_id, o.message_id) in ((${first.id}::uuid, ${second.id}::uuid), (${second.id}::uuid, ${first.id}::uuid))`.execute(db);
      await ana2.secret.sync(chatId);
      expect(texts(ana2, chatId).slice(-1)).toEqual(['second']);
      expect(ana2.refused.at(-1)).toMatchObject({ messageId: second.id, reason: 'out-of-order' });
    });

    it('keeps a canary sent in a secret chat out of every table and the trace log; the same canary in a normal chat is found', async () => {
      const canary = `canary-${crypto.randomUUID()}`;
      await ana1.secret.send(chatId, `the ${canary} sings`);
      await bo1.secret.sync(chatId);
      expect(texts(bo1, chatId).at(-1)).toBe(`the ${canary} sings`);
      const list = await bo1.client.chats.list();
      expect(JSON.stringify(list.find((chat) => chat.id === chatId))).not.toContain(canary);
      expect(await databaseHolds(server, canary)).toBe(false);
      expect(server.rawLogs.join('\n')).not.toContain(canary);
      expect(server.rawLogs.length).toBeGreaterThan(0);

      const group = await raw.createChat({ type: 'group', title: 'control' });
      await raw.send(group.id, `the ${canary} sings`);
      expect(await databaseHolds(server, canary)).toBe(true);
    });

    it('hands out each KeyPackage once and tells a device when its stock runs low', async () => {
      const carol = await registerUser(server);
      const device = await newDevice(server, carol, 'carol');
      expect(await device.client.keys.stock(device.secret.deviceId)).toEqual({ count: 4, low: true });
      const claim = () => raw.call<{ devices: { keyPackage: string | null }[] }>('POST', '/keys/claim', { userIds: [carol.user.id] });
      const claims = await Promise.all(Array.from({ length: 6 }, claim));
      const packages = claims.map((claim) => claim.body.devices[0]!.keyPackage);
      expect(packages.filter((kp) => kp !== null)).toHaveLength(4);
      expect(new Set(packages.filter((kp) => kp !== null)).size).toBe(4);
      expect(await device.client.keys.stock(device.secret.deviceId)).toEqual({ count: 0, low: true });
      expect(await device.secret.topUpKeyPackages()).toBe(20);
      const hundred = Array.from({ length: 100 }, () => 'AAAA');
      expect(await device.client.keys.publish(device.secret.deviceId, hundred)).toEqual({ count: 120, low: false });
      const over = await device.client.keys.publish(device.secret.deviceId, hundred).catch((error: { status: number; field: string }) => error);
      expect(over).toMatchObject({ status: 400, field: 'keyPackages' });
    });

    it('drops a device and its KeyPackages from the directory when its session ends', async () => {
      const dan = await registerUser(server);
      const device = await newDevice(server, dan, 'dan');
      const claimable = async () =>
        (await raw.call<{ devices: unknown[] }>('POST', '/keys/claim', { userIds: [dan.user.id] })).body.devices.length;
      expect(await claimable()).toBe(1);
      await device.client.auth.logout();
      await expect.poll(claimable, { timeout: 5000 }).toBe(0);
    });

    it('delivers a Welcome only to the device it is for', async () => {
      const welcomes = await ana1.client.secret.welcomes(ana2.secret.deviceId).catch((error: { status: number; code: string }) => error);
      expect(welcomes).toMatchObject({ status: 404, code: 'DEVICE_NOT_FOUND' });
      const history = await raw.call<{ messages: MessageView[] }>('GET', `/chats/${chatId}/messages`);
      expect(history.status).toBe(404);
    });
  });
}
