// Drives the application frameworks teams build on against a running gateway, through its OpenAI
// (Chat Completions, Responses) and Anthropic (Messages) endpoints, and prints one JSON object with what
// the framework returned, so tests/Tollgate.Tests/Node/NpmFrameworkTests.cs can assert on it:
// the Vercel AI SDK (`ai`, `@ai-sdk/openai`, `@ai-sdk/anthropic`) and LangChain JS (`@langchain/openai`,
// `@langchain/anthropic`). Usage: node frameworks.mjs <case>; TOLLGATE_BASE_URL (http://127.0.0.1:port)
// and TOLLGATE_KEY in the environment.
import { generateText, streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';

const base = process.env.TOLLGATE_BASE_URL;
const key = process.env.TOLLGATE_KEY;
if (!base || !key) {
  console.error('TOLLGATE_BASE_URL and TOLLGATE_KEY are required');
  process.exit(2);
}

const PLAIN = 'Say hi';
const STREAMED = 'Count fake:chunks=4';

// Vercel AI SDK: the OpenAI provider's Chat Completions and Responses models, the Anthropic provider's Messages model.
const aiOpenAI = createOpenAI({ baseURL: `${base}/v1`, apiKey: key });
const aiAnthropic = createAnthropic({ baseURL: `${base}/v1`, apiKey: key });
const aiModels = {
  chat: () => aiOpenAI.chat('fake-model'),
  responses: () => aiOpenAI.responses('fake-model'),
  messages: () => aiAnthropic('claude-test'),
};

// LangChain: ChatOpenAI (Chat Completions) and ChatAnthropic (Messages).
const lcModels = {
  chat: () => new ChatOpenAI({ model: 'fake-model', apiKey: key, configuration: { baseURL: `${base}/v1` }, maxRetries: 0 }),
  messages: () => new ChatAnthropic({ model: 'claude-test', apiKey: key, anthropicApiUrl: base, maxTokens: 256, maxRetries: 0 }),
};

function describe(error) {
  return {
    name: error?.constructor?.name ?? error?.name,
    status: error?.status ?? error?.statusCode ?? error?.response?.status ?? null,
    message: String(error?.message ?? error),
  };
}

async function attempt(fn) {
  try {
    return { ok: true, ...(await fn()) };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}

async function aiPlain(model) {
  const r = await generateText({ model, prompt: PLAIN, maxRetries: 0, maxOutputTokens: 256 });
  return { text: r.text, inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens };
}

async function aiStream(model) {
  // streamText hands errors to onError instead of throwing: keep the first and raise it.
  let failure = null;
  const r = streamText({ model, prompt: STREAMED, maxRetries: 0, maxOutputTokens: 256, onError: ({ error }) => { failure ??= error; } });
  let text = '';
  for await (const delta of r.textStream) {
    text += delta;
  }
  if (failure) throw failure;
  const usage = await r.usage;
  return { text, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens };
}

function lcText(message) {
  return typeof message.content === 'string'
    ? message.content
    : message.content.filter((part) => part.type === 'text').map((part) => part.text).join('');
}

async function lcPlain(model) {
  const m = await model.invoke(PLAIN);
  return { text: lcText(m), inputTokens: m.usage_metadata?.input_tokens, outputTokens: m.usage_metadata?.output_tokens };
}

async function lcStream(model) {
  // Chunks add up into the whole message (its text). Usage is read the way each protocol states it:
  // the largest input count, and the output count of the last chunk that reports one (Anthropic's
  // message_delta count is cumulative, so adding it to message_start's would count a token twice).
  let whole = null;
  let inputTokens;
  let outputTokens;
  for await (const chunk of await model.stream(STREAMED)) {
    whole = whole ? whole.concat(chunk) : chunk;
    const usage = chunk.usage_metadata;
    if (usage) {
      inputTokens = Math.max(inputTokens ?? 0, usage.input_tokens ?? 0);
      if (usage.output_tokens) outputTokens = usage.output_tokens;
    }
  }
  return { text: lcText(whole), inputTokens, outputTokens, summedOutputTokens: whole.usage_metadata?.output_tokens };
}

const cases = {
  'ai-chat': () => attempt(() => aiPlain(aiModels.chat())),
  'ai-chat-stream': () => attempt(() => aiStream(aiModels.chat())),
  'ai-responses': () => attempt(() => aiPlain(aiModels.responses())),
  'ai-responses-stream': () => attempt(() => aiStream(aiModels.responses())),
  'ai-messages': () => attempt(() => aiPlain(aiModels.messages())),
  'ai-messages-stream': () => attempt(() => aiStream(aiModels.messages())),
  'langchain-chat': () => attempt(() => lcPlain(lcModels.chat())),
  'langchain-chat-stream': () => attempt(() => lcStream(lcModels.chat())),
  'langchain-messages': () => attempt(() => lcPlain(lcModels.messages())),
  'langchain-messages-stream': () => attempt(() => lcStream(lcModels.messages())),
  // Every framework call once, each expected to be refused by the budget.
  'denials': async () => ({
    aiChat: await attempt(() => aiPlain(aiModels.chat())),
    aiChatStream: await attempt(() => aiStream(aiModels.chat())),
    aiResponses: await attempt(() => aiPlain(aiModels.responses())),
    aiMessages: await attempt(() => aiPlain(aiModels.messages())),
    langchainChat: await attempt(() => lcPlain(lcModels.chat())),
    langchainMessages: await attempt(() => lcPlain(lcModels.messages())),
  }),
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`unknown case ${name}; one of ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const result = await cases[name]();
process.stdout.write(JSON.stringify(result) + '\n');
