// Drives the npm `openai` package's chat completions and responses against a Gemini image model
// behind the gateway, plain and streamed, and prints one JSON object with what the SDK returned, for
// tests/Tollgate.Tests/Node/NpmChatImageTests.cs. The SDK keeps fields outside its types as they came,
// so the images the gateway adds (`message.images`, `delta.images`) are read from the parsed objects.
// Usage: node chat-images.mjs <case> <model>; TOLLGATE_BASE_URL (http://127.0.0.1:port) and TOLLGATE_KEY in the environment.
import OpenAI from 'openai';

const base = process.env.TOLLGATE_BASE_URL;
const key = process.env.TOLLGATE_KEY;
if (!base || !key) {
  console.error('TOLLGATE_BASE_URL and TOLLGATE_KEY are required');
  process.exit(2);
}

const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000 });
const model = process.argv[3];
const prompt = 'draw a lighthouse fake:chunks=3';

const cases = {
  async chat() {
    const r = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
    const message = r.choices[0].message;
    return { text: message.content, images: (message.images ?? []).map((i) => i.image_url.url), finish: r.choices[0].finish_reason };
  },
  async 'chat-stream'() {
    const stream = await openai.chat.completions.create({
      model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }],
    });
    let text = '';
    const images = [];
    let usage = null;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      text += delta?.content ?? '';
      for (const image of delta?.images ?? []) images.push(image.image_url.url);
      usage = chunk.usage ?? usage;
    }
    return { text, images, completionTokens: usage?.completion_tokens ?? null };
  },
  async responses() {
    const r = await openai.responses.create({ model, input: prompt });
    const calls = r.output.filter((item) => item.type === 'image_generation_call');
    return { text: r.output_text, images: calls.map((c) => c.result), statuses: calls.map((c) => c.status) };
  },
  async 'responses-stream'() {
    const stream = await openai.responses.create({ model, input: prompt, stream: true });
    const types = [];
    let text = '';
    let done = null;
    let completed = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.output_item.done' && event.item.type === 'image_generation_call') done = event.item.result;
      if (event.type === 'response.completed') completed = event.response.output.filter((i) => i.type === 'image_generation_call').map((i) => i.result);
    }
    return { text, image: done, completed, types: types.filter((t) => t.includes('image_generation_call')) };
  },
};

const name = process.argv[2];
if (!cases[name] || !model) {
  console.error(`unknown case ${name} or no model`);
  process.exit(2);
}

try {
  console.log(JSON.stringify({ ok: true, ...(await cases[name]()) }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, status: error?.status ?? null, message: error?.message }));
}
