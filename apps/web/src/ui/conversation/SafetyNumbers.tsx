import { useEffect, useState } from 'react';
import { useMessenger } from '../../app/session-context.js';
import { Spinner } from '../common/Spinner.js';

interface MemberNumber {
  readonly userId: string;
  readonly digits: string;
  readonly devices: number;
}

/**
 * Each member's safety number in this chat, as digits and as a picture of
 * them: compare with the member in person or on a call. Different digits
 * mean a device in the group that the member did not add (or new keys).
 */
export function SafetyNumbers({ chatId, name }: { readonly chatId: string; readonly name: (userId: string) => string }) {
  const messenger = useMessenger();
  const [numbers, setNumbers] = useState<readonly MemberNumber[] | null>(null);

  useEffect(() => {
    let stopped = false;
    void (async () => {
      const secret = await messenger.secretChats();
      const devices = await secret.devices(chatId);
      const userIds = [...new Set(devices.map((device) => device.userId))].sort();
      const computed = await Promise.all(
        userIds.map(async (userId) => ({
          userId,
          digits: await secret.safetyNumber(chatId, userId),
          devices: devices.filter((device) => device.userId === userId).length,
        })),
      );
      if (!stopped) setNumbers(computed);
    })();
    return () => {
      stopped = true;
    };
  }, [chatId, messenger]);

  if (!numbers) return <Spinner label="Computing safety numbers" />;
  return (
    <section className="safety-numbers" aria-label="Safety numbers">
      <p className="form-lead">Compare each number with that person out of band. If they match, nobody else is listening.</p>
      <ul>
        {numbers.map((member) => (
          <li key={member.userId} data-user-id={member.userId}>
            <strong>{name(member.userId)}</strong> <small>({member.devices} {member.devices === 1 ? 'device' : 'devices'})</small>
            <code className="safety-digits">{member.digits}</code>
            <DigitsPicture digits={member.digits} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The 30 digits as a 6×5 grid of shades: quicker to compare side by side than reading digits aloud. */
function DigitsPicture({ digits }: { readonly digits: string }) {
  // Each cell is its position in the grid: the key is that position, which never moves.
  const cells = digits
    .replace(/\s/g, '')
    .split('')
    .map((digit, position) => ({ digit: Number(digit), position }));
  return (
    <svg className="safety-picture" viewBox="0 0 60 50" width={60} height={50} role="img" aria-label={`Picture of ${digits}`}>
      {cells.map(({ digit, position }) => (
        <rect
          key={`cell-${position}`}
          x={(position % 6) * 10}
          y={Math.floor(position / 6) * 10}
          width={10}
          height={10}
          fill={`hsl(${digit * 36} 65% ${35 + (position % 3) * 12}%)`}
        />
      ))}
    </svg>
  );
}
