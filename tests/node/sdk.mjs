// Drives the official npm SDKs against a running gateway and prints one JSON object with what
// the SDK returned, so tests/Tollgate.Tests/Node can assert on it.
// Usage: node sdk.mjs <case>; TOLLGATE_BASE_URL (http://127.0.0.1:port) and TOLLGATE_KEY in the environment.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.env.TOLLGATE_BASE_URL;
const key = process.env.TOLLGATE_KEY;
if (!base || !key) {
  console.error('TOLLGATE_BASE_URL and TOLLGATE_KEY are required');
  process.exit(2);
}

// Counts the SSE comment lines (keepalives) of every answer while the SDK reads the same bytes.
let pings = 0;
async function countingFetch(input, init) {
  const response = await fetch(input, init);
  if (!response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return response;
  }
  const decoder = new TextDecoder();
  let carry = '';
  const watch = new TransformStream({
    transform(chunk, controller) {
      carry += decoder.decode(chunk, { stream: true });
      const lines = carry.split('\n');
      carry = lines.pop();
      pings += lines.filter((l) => l.startsWith(': ping')).length;
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(watch), { status: response.status, statusText: response.statusText, headers: response.headers });
}

const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000, fetch: countingFetch });
const anthropic = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0, timeout: 30_000, fetch: countingFetch });

function describe(error) {
  return {
    name: error?.constructor?.name,
    status: error?.status ?? null,
    message: error?.message,
    type: error?.type ?? error?.error?.error?.type ?? null,
    code: error?.code ?? null,
    body: error?.error ?? null,
  };
}

// Runs fn and reports either its result or the error the SDK raised (with what was read before it).
async function attempt(fn) {
  const partial = { text: '' };
  try {
    const result = await fn(partial);
    return { ok: true, ...result, pings };
  } catch (error) {
    return { ok: false, error: describe(error), partialText: partial.text, pings };
  }
}

const cases = {
  'chat': () => attempt(async () => {
    const c = await openai.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'Say hi' }] });
    return { model: c.model, text: c.choices[0].message.content, finish: c.choices[0].finish_reason, usage: c.usage };
  }),
  'chat-stream': () => attempt(async (partial) => {
    const stream = await openai.chat.completions.create({
      model: 'fake-model', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count fake:chunks=4 fake:chunk_delay_ms=300' }],
    });
    let finish = null; let usage = null; let model = null;
    for await (const chunk of stream) {
      model = chunk.model;
      for (const choice of chunk.choices) {
        partial.text += choice.delta?.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
      usage = chunk.usage ?? usage;
    }
    return { model, text: partial.text, finish, usage };
  }),
  'chat-cut': () => attempt(async (partial) => {
    const stream = await openai.chat.completions.create({
      model: 'fake-model', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Count fake:chunks=6 fake:cut_after=2' }],
    });
    for await (const chunk of stream) {
      for (const choice of chunk.choices) partial.text += choice.delta?.content ?? '';
    }
    return { text: partial.text };
  }),
  'responses': () => attempt(async () => {
    const r = await openai.responses.create({ model: 'fake-model', input: 'Say hi', instructions: 'Be brief.' });
    const again = await openai.responses.retrieve(r.id);
    return { id: r.id, model: r.model, status: r.status, text: r.output_text, usage: r.usage, retrieved: again.output_text };
  }),
  'responses-stream': () => attempt(async (partial) => {
    const stream = await openai.responses.create({ model: 'fake-model', stream: true, input: 'Count fake:chunks=4 fake:chunk_delay_ms=300' });
    const types = [];
    let final = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') partial.text += event.delta;
      if (event.type === 'response.completed') final = event.response;
    }
    return { text: partial.text, status: final?.status, model: final?.model, usage: final?.usage, first: types[0], last: types[types.length - 1] };
  }),
  'messages': () => attempt(async () => {
    const m = await anthropic.messages.create({ model: 'claude-test', max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hi' }] });
    return { model: m.model, text: m.content.filter((b) => b.type === 'text').map((b) => b.text).join(''), stop: m.stop_reason, usage: m.usage };
  }),
  'messages-stream': () => attempt(async (partial) => {
    const stream = anthropic.messages.stream({ model: 'claude-test', max_tokens: 256, messages: [{ role: 'user', content: 'Count fake:chunks=4 fake:chunk_delay_ms=300' }] });
    stream.on('text', (t) => { partial.text += t; });
    const m = await stream.finalMessage();
    return { model: m.model, text: partial.text, stop: m.stop_reason, usage: m.usage };
  }),
  'messages-error': () => attempt(async (partial) => {
    const stream = await anthropic.messages.create({ model: 'claude-test', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Count fake:chunks=5 fake:error_after=2' }] });
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') partial.text += event.delta.text;
    }
    return { text: partial.text };
  }),
  'count-tokens': () => attempt(async () => {
    const c = await anthropic.messages.countTokens({ model: 'claude-test', messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }] });
    return { inputTokens: c.input_tokens };
  }),
  // Every billable call once, each expected to be refused by the budget.
  'denials': async () => ({
    chat: await attempt(() => openai.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'Hi' }] })),
    chatStream: await attempt(async () => { for await (const _ of await openai.chat.completions.create({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'Hi' }] })); return {}; }),
    responses: await attempt(() => openai.responses.create({ model: 'fake-model', input: 'Hi' })),
    messages: await attempt(() => anthropic.messages.create({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] })),
    messagesStream: await attempt(() => anthropic.messages.stream({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage()),
  }),
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`unknown case ${name}; one of ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const result = await cases[name]();
process.stdout.write(JSON.stringify(result) + '\n');
