import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { Icon } from '../common/Icon.js';
import type { Message } from '../../state/types.js';

export type ComposerMode = { readonly kind: 'new' } | { readonly kind: 'reply'; readonly to: Message; readonly author: string } | { readonly kind: 'edit'; readonly message: Message };

/**
 * The message box: Enter sends, Shift+Enter adds a line, Escape cancels a
 * reply or an edit. It grows with its text up to a few lines.
 */
export function Composer({
  mode,
  onCancel,
  onSubmit,
  onTyping,
  onAttach,
}: {
  readonly mode: ComposerMode;
  readonly onCancel: () => void;
  readonly onSubmit: (text: string) => void;
  readonly onTyping: () => void;
  /** A file chosen to send, with the text typed so far as its caption; absent: no attach button. */
  readonly onAttach?: (file: File, caption: string) => void;
}) {
  const [text, setText] = useState('');
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (mode.kind === 'edit') setText(mode.message.text ?? '');
    if (mode.kind !== 'new') box.current?.focus();
  }, [mode]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the height follows the text, read through the element
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    element.style.height = 'auto';
    element.style.height = `${Math.min(element.scrollHeight, 160)}px`;
  }, [text]);

  function submit() {
    const trimmed = text.trim();
    if (!trimmed) return;
    onSubmit(trimmed);
    setText('');
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && mode.kind !== 'new') {
      setText('');
      onCancel();
    }
  }

  return (
    <div className="composer">
      {mode.kind !== 'new' && (
        <div className="composer-context">
          <Icon name={mode.kind === 'edit' ? 'edit' : 'reply'} size={16} />
          <span>
            <strong>{mode.kind === 'edit' ? 'Editing message' : `Reply to ${mode.author}`}</strong>
            <span className="composer-context-text">{mode.kind === 'edit' ? mode.message.text : mode.to.text}</span>
          </span>
          <button
            type="button"
            className="icon-button"
            aria-label="Cancel"
            onClick={() => {
              setText('');
              onCancel();
            }}
          >
            <Icon name="close" size={16} />
          </button>
        </div>
      )}
      <form
        className="composer-row"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {onAttach && mode.kind !== 'edit' && (
          <>
            <button type="button" className="icon-button attach-button" aria-label="Attach a file" onClick={() => picker.current?.click()}>
              <Icon name="attach" />
            </button>
            <input
              ref={picker}
              type="file"
              className="visually-hidden"
              data-testid="attach-input"
              tabIndex={-1}
              onChange={(event) => {
                const file = event.target.files?.[0];
                event.target.value = '';
                if (!file) return;
                onAttach(file, text.trim());
                setText('');
              }}
            />
          </>
        )}
        <label className="visually-hidden" htmlFor="composer-text">
          Message
        </label>
        <textarea
          id="composer-text"
          ref={box}
          rows={1}
          placeholder="Write a message…"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            if (event.target.value) onTyping();
          }}
          onKeyDown={onKeyDown}
          onPaste={(event) => {
            // A pasted screenshot or file is sent like an attached one; pasted text stays text.
            const file = event.clipboardData.files[0];
            if (!file || !onAttach || mode.kind === 'edit') return;
            event.preventDefault();
            onAttach(file, text.trim());
            setText('');
          }}
        />
        <button type="submit" className="send-button" aria-label={mode.kind === 'edit' ? 'Save' : 'Send'} disabled={!text.trim()}>
          <Icon name={mode.kind === 'edit' ? 'check' : 'send'} />
        </button>
      </form>
    </div>
  );
}
