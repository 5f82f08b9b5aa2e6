// Drives the npm `openai` package's media endpoints (embeddings, speech, transcriptions, images)
// against a running gateway and prints one JSON object with what the SDK returned, for
// tests/Tollgate.Tests/Node/NpmMediaTests.cs.
// Usage: node media.mjs <case>; TOLLGATE_BASE_URL (http://127.0.0.1:port) and TOLLGATE_KEY in the environment.
import OpenAI, { toFile } from 'openai';

const base = process.env.TOLLGATE_BASE_URL;
const key = process.env.TOLLGATE_KEY;
if (!base || !key) {
  console.error('TOLLGATE_BASE_URL and TOLLGATE_KEY are required');
  process.exit(2);
}

const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000 });

// A silent 16-bit mono PCM WAV of `seconds` at 8 kHz.
function wav(seconds) {
  const data = seconds * 16000;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0); b.writeUInt32LE(36 + data, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24); b.writeUInt32LE(16000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(data, 40);
  return b;
}

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

const cases = {
  async embeddings() {
    const r = await openai.embeddings.create({ model: 'mod-embed', input: ['one two three', 'four five'] });
    return { count: r.data.length, dimensions: r.data[0].embedding.length, promptTokens: r.usage.prompt_tokens };
  },
  async speech() {
    const r = await openai.audio.speech.create({ model: 'mod-tts', voice: 'alloy', input: 'Hello there', response_format: 'mp3' });
    const bytes = Buffer.from(await r.arrayBuffer());
    return { bytes: bytes.length, contentType: r.headers.get('content-type') };
  },
  async transcription() {
    const r = await openai.audio.transcriptions.create({ model: 'mod-whisper', file: await toFile(wav(3), 'speech.wav', { type: 'audio/wav' }) });
    return { text: r.text };
  },
  async 'image-generate'() {
    const r = await openai.images.generate({ model: 'mod-image', prompt: 'a lighthouse', n: 2, size: '1024x1024', quality: 'high' });
    return { count: r.data.length, b64: r.data[0].b64_json };
  },
  async 'image-edit'() {
    const r = await openai.images.edit({ model: 'mod-image', image: await toFile(png, 'in.png', { type: 'image/png' }), prompt: 'add a boat', size: '1024x1024', quality: 'low' });
    return { count: r.data.length };
  },
  async 'transcription-stream'() {
    const stream = await openai.audio.transcriptions.create({
      model: 'mod-transcribe-tokens', file: await toFile(wav(3), 'speech.wav', { type: 'audio/wav' }), stream: true,
    });
    const types = [];
    let deltas = '';
    let done = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'transcript.text.delta') deltas += event.delta;
      if (event.type === 'transcript.text.done') done = event;
    }
    return { types, deltas, text: done?.text ?? null, outputTokens: done?.usage?.output_tokens ?? null };
  },
  async 'embeddings-denied'() {
    try {
      await openai.embeddings.create({ model: 'mod-embed', input: 'x' });
      return { denied: false };
    } catch (error) {
      return { denied: true, status: error.status, code: error.code ?? null, type: error.type ?? null };
    }
  },
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`unknown case ${name}`);
  process.exit(2);
}

try {
  console.log(JSON.stringify({ ok: true, ...(await cases[name]()) }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, status: error?.status ?? null, message: error?.message }));
}
