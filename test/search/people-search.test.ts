import type { User } from '@kaif/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegisteredUser, authHeaders, registerUser } from '../support/accounts.js';
import { ENGINE_SETS } from '../messaging/chat-client.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

for (const engines of ENGINE_SETS) {
  describe(`people search (${engines})`, () => {
    let server: TestServer;
    let asker: RegisteredUser;
    const tag = Date.now().toString(36).slice(-5);
    beforeAll(async () => {
      server = await startTestServer({ engines });
      asker = await registerUser(server);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const find = async (query: string, params = '') => {
      const response = await fetch(`${server.url}/api/v1/users?query=${encodeURIComponent(query)}${params}`, {
        headers: authHeaders(asker.accessToken),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { users: User[] }).users.map((user) => user.username);
    };

    it('finds a username despite a typo and another case, and a display name by one of its words', async () => {
      const [gwen] = await Promise.all([
        registerUser(server, { username: `Gwendolyn${tag}`, displayName: 'Gwen Harrow' }),
        registerUser(server, { username: `Baxter${tag}`, displayName: 'Маргарита Остроумова' }),
      ]);
      expect(await find(`gwendolin${tag}`)).toEqual([gwen.user.username]);
      expect(await find(`GWENDOLYN${tag}`)).toEqual([gwen.user.username]);
      expect(await find('Остроумвоа')).toContain(`Baxter${tag}`);
      expect(await find('harow')).toContain(gwen.user.username);
    });

    it('ranks a username prefix first, then closer names, and pages', async () => {
      const stem = `Quill${tag}`;
      await Promise.all([
        registerUser(server, { username: `${stem}a` }),
        registerUser(server, { username: `${stem}b` }),
        registerUser(server, { username: `x${stem}` }),
      ]);
      expect(await find(stem.toLowerCase())).toEqual([`${stem}a`, `${stem}b`, `x${stem}`]);
      expect(await find(stem, '&limit=2')).toEqual([`${stem}a`, `${stem}b`]);
      expect(await find(stem, '&limit=2&offset=2')).toEqual([`x${stem}`]);
    });

    it('leaves disabled accounts out', async () => {
      const hidden = await registerUser(server, { username: `Vesper${tag}` });
      expect(await find(`vespre${tag}`)).toContain(hidden.user.username);
      await sql`update identity.users set disabled_at = now() where id = ${hidden.user.id}`.execute(server.adapters.db.kysely<unknown>());
      expect(await find(`vesper${tag}`)).not.toContain(hidden.user.username);
      expect(await find(`vespre${tag}`)).not.toContain(hidden.user.username);
    });
  });
}
