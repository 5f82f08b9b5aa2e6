// Drives the npm `openai` package's Videos API (create, retrieve until done, download, list) against a
// running gateway and prints one JSON object with what the SDK returned, for
// tests/Tollgate.Tests/Node/NpmVideoTests.cs.
// Usage: node videos.mjs; TOLLGATE_BASE_URL (http://127.0.0.1:port) and TOLLGATE_KEY in the environment.
import OpenAI from 'openai';

const base = process.env.TOLLGATE_BASE_URL;
const key = process.env.TOLLGATE_KEY;
if (!base || !key) {
  console.error('TOLLGATE_BASE_URL and TOLLGATE_KEY are required');
  process.exit(2);
}

const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000 });

async function run() {
  const created = await openai.videos.create({ model: 'mod-video', prompt: 'a lighthouse fake:video_ms=200', seconds: '8', size: '1280x720' });
  let video = created;
  for (let i = 0; i < 400 && video.status !== 'completed' && video.status !== 'failed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    video = await openai.videos.retrieve(created.id);
  }

  const content = await openai.videos.downloadContent(created.id);
  const bytes = Buffer.from(await content.arrayBuffer());
  const page = await openai.videos.list();
  return {
    id: created.id,
    createdStatus: created.status,
    status: video.status,
    seconds: video.seconds,
    size: video.size,
    contentType: content.headers.get('content-type'),
    fileType: bytes.subarray(4, 8).toString('latin1'),
    listed: page.data.map((v) => v.id),
  };
}

try {
  console.log(JSON.stringify({ ok: true, ...(await run()) }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, status: error?.status ?? null, message: error?.message }));
}
