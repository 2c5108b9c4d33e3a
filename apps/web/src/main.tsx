import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { SessionContext } from './app/session-context.js';
import { createSdkBackend } from './state/sdk-backend.js';
import { Session } from './state/session.js';
import './styles/theme.css';
import './styles/layout.css';
import './styles/auth.css';
import './styles/chats.css';
import './styles/conversation.css';
import './styles/pages.css';
import './styles/market.css';

const session = new Session(createSdkBackend());
void session.restore();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionContext.Provider value={session}>
      <App />
    </SessionContext.Provider>
  </StrictMode>,
);
