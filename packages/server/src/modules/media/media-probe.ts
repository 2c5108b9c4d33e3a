import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KaifError } from '../../platform/http/kaif-error.js';

const execFileAsync = promisify(execFile);

/**
 * Address space one ffmpeg or ffprobe may take (1 GiB; a 4K frame decodes
 * well within it): a hostile file that makes the decoder allocate without
 * end is killed by the kernel instead of starving the node. Set with
 * util-linux's prlimit (Debian: always installed), as Node cannot limit a
 * child's memory itself.
 */
const CHILD_ADDRESS_SPACE = 1024 * 1024 * 1024;

const run = ((command: string, args: readonly string[], options: Parameters<typeof execFileAsync>[2]) =>
  execFileAsync('prlimit', [`--as=${CHILD_ADDRESS_SPACE}`, '--', command, ...args], options)) as typeof execFileAsync;

/** No probe may take longer: ffprobe reads headers, which takes milliseconds for any honest file. */
const PROBE_TIMEOUT_MS = 15_000;
/** Nor may a poster frame: one decoded frame. */
const POSTER_TIMEOUT_MS = 30_000;

export interface ProbedMedia {
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  readonly durationMs: number;
  readonly width: number | null;
  readonly height: number | null;
  readonly codec: string | null;
}

interface FfprobeOutput {
  readonly streams?: readonly { codec_type?: string; codec_name?: string; width?: number; height?: number; duration?: string; disposition?: { attached_pic?: number } }[];
  readonly format?: { duration?: string };
}

const undecodable = (why: string) => new KaifError('MEDIA_REJECTED', `The video or audio cannot be used: ${why}`);

/**
 * Duration, dimensions and codec by Debian's ffprobe, under a time limit
 * (killed with SIGKILL past it). A file ffprobe cannot read, or that holds
 * neither video nor audio, is MEDIA_REJECTED.
 */
export async function probeMedia(path: string): Promise<ProbedMedia> {
  let output: FfprobeOutput;
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', path], {
      timeout: PROBE_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 4 * 1024 * 1024,
    });
    output = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    // 127: prlimit could not start ffprobe. A missing tool is the server's fault, not the file's.
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 127) throw new Error('ffprobe or prlimit is not installed (Debian packages ffmpeg, util-linux)');
    throw undecodable('ffprobe cannot read it');
  }
  const streams = output.streams ?? [];
  // Cover art in an audio file is a "video" stream of one picture: not a video.
  const video = streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic);
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  if (!video && !audio) throw undecodable('it holds neither video nor audio');
  const seconds = Number(output.format?.duration ?? video?.duration ?? audio?.duration);
  if (!Number.isFinite(seconds) || seconds < 0) throw undecodable('it has no duration');
  return {
    hasVideo: video !== undefined,
    hasAudio: audio !== undefined,
    durationMs: Math.round(seconds * 1000),
    width: video?.width ?? null,
    height: video?.height ?? null,
    codec: (video ?? audio)?.codec_name ?? null,
  };
}

/** Values in a waveform, and the largest (5 bits, as Telegram's voice notes). */
const WAVEFORM_BARS = 64;
const WAVEFORM_MAX = 31;
/** Decoded for the waveform: mono, this many samples a second (enough for loudness, small to hold). */
const WAVEFORM_RATE = 4000;

/**
 * The loudness of a sound over time: the peak of each of 64 equal slices,
 * scaled so the loudest is 31. Decoded by ffmpeg to 16-bit mono PCM at
 * 4 kHz (10 minutes are 4.8 MB), under the probe's time limit.
 */
export async function waveformOf(path: string, durationMs: number): Promise<number[]> {
  const maxBytes = Math.ceil((durationMs / 1000 + 1) * WAVEFORM_RATE * 2);
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-vn', '-ac', '1', '-ar', String(WAVEFORM_RATE), '-f', 's16le', '-'], {
    encoding: 'buffer',
    timeout: PROBE_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: maxBytes,
  });
  const samples = Math.floor(stdout.length / 2);
  if (samples === 0) return [];
  const peaks = Array.from({ length: WAVEFORM_BARS }, (_, bar) => {
    const from = Math.floor((bar * samples) / WAVEFORM_BARS);
    const to = Math.max(from + 1, Math.floor(((bar + 1) * samples) / WAVEFORM_BARS));
    let peak = 0;
    for (let i = from; i < to && i < samples; i++) peak = Math.max(peak, Math.abs(stdout.readInt16LE(i * 2)));
    return peak;
  });
  const loudest = Math.max(...peaks, 1);
  return peaks.map((peak) => Math.round((peak / loudest) * WAVEFORM_MAX));
}

/** One frame as PNG, from `atSeconds` in: a video's poster. */
export async function extractPoster(input: string, output: string, atSeconds: number): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-ss', atSeconds.toFixed(3), '-i', input, '-frames:v', '1', '-f', 'image2', '-c:v', 'png', output], {
    timeout: POSTER_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 1024 * 1024,
  });
}
