// Overcast's Node.js runtime client: loads the handler and serves invocations over the Runtime API.
// Handlers may be async functions, return promises, or take a callback; CommonJS and ES modules
// both load. Errors are shaped as AWS's Node runtime shapes them ({errorType, errorMessage, trace}).
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");
const util = require("util");
const { pathToFileURL } = require("url");

// Peak resident memory (KiB) for the REPORT line, sent with each response or error. From
// /proc's VmHWM, which starts afresh with this program: getrusage's maxRSS survives exec, so it
// would report the (much larger) server this process was started from.
const PEAK_MEMORY_HEADER = "Overcast-Peak-Memory-Kb";
const VM_HWM = /VmHWM:\s+(\d+)/;
const peakMemory = () => {
  let kib;
  try {
    const match = VM_HWM.exec(fs.readFileSync("/proc/self/status", "latin1"));
    if (match) kib = match[1];
  } catch (e) {
    // no /proc: the rusage figure is the best there is
  }
  return { [PEAK_MEMORY_HEADER]: kib || String(process.resourceUsage().maxRSS) };
};
let apiHost = "127.0.0.1";
let apiPort = "0";
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId = undefined;

function request(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: apiHost, port: Number(apiPort), method, path: "/2018-06-01/runtime/" + route, agent,
        headers: Object.assign({ "Content-Type": "application/json" }, headers || {}) },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Through process.stdout, as a handler's own writes go, so the two stay in order. Once the pipe
// is full, a write is queued rather than refused (fs.writeSync would fail with EAGAIN).
function writeLine(text) {
  process.stdout.write(text + "\n");
}

// Resolves once everything written so far is in the pipe: the server reads the pipe empty after
// an answer, so the invocation's log then has all of its output.
function outputWritten() {
  const queued = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  return Promise.all(queued.map((stream) => new Promise((resolve) => stream.write("", resolve))));
}

function patchConsole() {
  const levels = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      const stamp = new Date().toISOString();
      writeLine(`${stamp}\t${currentRequestId || "undefined"}\t${level}\t${util.format(...args)}`);
    };
  }
}

function errorDoc(err) {
  if (err instanceof Error) {
    return { errorType: err.name || "Error", errorMessage: err.message,
             trace: String(err.stack || "").split("\n") };
  }
  return { errorType: typeof err, errorMessage: typeof err === "string" ? err : JSON.stringify(err),
           trace: [] };
}

class HandlerError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const base = path.basename(spec);
  const dot = base.indexOf(".");
  if (dot < 0) throw new HandlerError("Runtime.MalformedHandlerName", "Bad handler");
  const modulePath = path.join(path.dirname(spec), base.slice(0, dot));
  const attrs = base.slice(dot + 1).split(".");
  let file = null;
  for (const ext of [".js", ".mjs", ".cjs"]) {
    if (fs.existsSync(path.join(root, modulePath + ext))) { file = path.join(root, modulePath + ext); break; }
  }
  if (file === null) {
    throw new HandlerError("Runtime.ImportModuleError",
      `Error: Cannot find module '${modulePath}'\nRequire stack:\n- ${__filename}`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) throw new HandlerError("Runtime.UserCodeSyntaxError", `${e.name}: ${e.message}`);
    if (e && e.code === "ERR_MODULE_NOT_FOUND" || e && e.code === "MODULE_NOT_FOUND") {
      throw new HandlerError("Runtime.ImportModuleError", `Error: ${e.message}`);
    }
    throw e;
  }
  let target = mod;
  for (const attr of attrs) {
    target = target == null ? undefined : (target[attr] !== undefined ? target[attr] : (target.default || {})[attr]);
  }
  if (typeof target !== "function") {
    throw new HandlerError("Runtime.HandlerNotFound", `${path.basename(modulePath)}.${attrs.join(".")} is undefined or not exported`);
  }
  return target;
}

function makeContext(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"] || 0);
  const clientContext = headers["lambda-runtime-client-context"];
  const identity = headers["lambda-runtime-cognito-identity"];
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: identity ? JSON.parse(identity) : undefined,
    clientContext: clientContext ? JSON.parse(clientContext) : undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  return context;
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err); else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (err) => callback(err || new Error("handled"));
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") {
        out.then((r) => callback(null, r), (e) => callback(e === undefined || e === null ? new Error(String(e)) : e));
      } else if (handler.length < 3) {
        callback(null, out);
      }
    } catch (e) {
      callback(e);
    }
  });
}

async function postError(requestId, doc, route) {
  writeLine(`${new Date().toISOString()}\t${requestId || "undefined"}\tERROR\tInvoke Error \t${JSON.stringify(doc)}`);
  await outputWritten();
  await request("POST", route, JSON.stringify(doc),
                Object.assign({ "Lambda-Runtime-Function-Error-Type": doc.errorType }, peakMemory()));
}

// A spare process is started before it knows its function: it waits for one JSON line on stdin
// ({cwd, env}) and only then becomes that function's environment.
function readAssignment() {
  return new Promise((resolve, reject) => {
    let buffered = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        process.stdin.pause();
        process.stdin.removeAllListeners("data");
        resolve(JSON.parse(buffered.slice(0, newline)));
      }
    });
    process.stdin.on("end", () => reject(new Error("no assignment")));
  });
}

async function becomeAssigned() {
  let assignment;
  try {
    assignment = await readAssignment();
  } catch (e) {
    process.exit(0);
  }
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, assignment.env);
  process.chdir(assignment.cwd);
  require("module").Module._initPaths();  // NODE_PATH is read at start-up otherwise
  process.stdin.destroy();
}

async function main() {
  if (process.env.OVERCAST_SPARE === "1") await becomeAssigned();
  [apiHost, apiPort] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
  patchConsole();
  // A handler that never settles must time out, not end the process when the loop runs dry.
  setInterval(() => {}, 1 << 30);
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const doc = errorDoc(e);
    await postError(undefined, doc, "init/error");
    process.exit(1);
  }
  process.on("uncaughtException", async (e) => {
    const doc = errorDoc(e);
    if (currentRequestId) await postError(currentRequestId, doc, `invocation/${currentRequestId}/error`).catch(() => {});
    process.exit(129);
  });
  process.on("unhandledRejection", async (reason) => {
    const doc = { errorType: "Runtime.UnhandledPromiseRejection", errorMessage: String(reason && reason.message || reason),
                  trace: String(reason && reason.stack || "").split("\n") };
    if (currentRequestId) await postError(currentRequestId, doc, `invocation/${currentRequestId}/error`).catch(() => {});
    process.exit(128);
  });
  for (;;) {
    let next;
    try {
      next = await request("GET", "invocation/next");
    } catch (e) {
      process.exit(0);
    }
    const requestId = next.headers["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    if (next.headers["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
    let result;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
      result = await runHandler(handler, event, makeContext(next.headers));
    } catch (e) {
      await postError(requestId, errorDoc(e), `invocation/${requestId}/error`);
      continue;
    }
    const body = result === undefined ? "null" : JSON.stringify(result);
    await outputWritten();
    await request("POST", `invocation/${requestId}/response`, body === undefined ? "null" : body, peakMemory());
  }
}

main();
