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

// Shapes as AWS's Node runtime client does (Errors.js toRapidResponse): an Error (or anything
// with string name, message and stack) by its name, message and stack lines; anything else by its
// typeof and its toString() ("[object Object]" for a plain object, as on AWS).
function isErrorLike(err) {
  return err instanceof Error || (err && typeof err.name === "string" && err.name && typeof err.message === "string"
    && err.message && typeof err.stack === "string" && err.stack);
}

function errorDoc(err) {
  try {
    if (isErrorLike(err)) {
      return { errorType: err.name.replaceAll("\x7F", "%7F"), errorMessage: err.message.replaceAll("\x7F", "%7F"),
               trace: String(err.stack || "").replaceAll("\x7F", "%7F").split("\n") };
    }
    return { errorType: typeof err, errorMessage: err.toString(), trace: [] };
  } catch (e) {
    return { errorType: "handled",
             errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack" };
  }
}

// The error as the runtime client logs it (Errors.js toFormatted): a tab, then JSON with an
// Error's name, message, code and own properties, and its stack as a list of lines.
function formatted(err) {
  const withProperties = (_key, value) => {
    if (!(value instanceof Error)) return value;
    const shown = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === "string") shown.stack = value.stack.split("\n");
    return shown;
  };
  try {
    return "\t" + JSON.stringify(err, withProperties);
  } catch (e) {
    return "\t" + JSON.stringify(errorDoc(err));
  }
}

// Whether Node loads `file` as an ES module: .mjs, or .js under a package.json of "type": "module".
function isEsModule(file) {
  if (file.endsWith(".mjs")) return true;
  if (!file.endsWith(".js")) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type === "module";
    } catch (e) {
      if (e.code !== "ENOENT") return false;  // Node stops at the nearest package.json, even a bad one
    }
    if (path.dirname(dir) === dir) return false;
  }
}

// An ES module handler's imports find packages in NODE_PATH's directories (the layers' and the AWS
// SDK's), as on AWS, through the resolve hooks of node_path_imports.mjs (node:module register, from
// Node 18.19 and 20.6). Their thread costs ~40 ms and ~10 MB on Node 20: a spare started for a
// server with the SDK starts them while it waits and sends them NODE_PATH once assigned; otherwise
// they start only for an ES module handler with somewhere to look, as require() reads NODE_PATH
// itself.
const IMPORT_HOOKS = pathToFileURL(path.join(__dirname, "node_path_imports.mjs")).href;
let sendImportDirectories = null;  // set once a spare has started the hooks

function nodePathDirectories() {
  return (process.env.NODE_PATH || "").split(path.delimiter)
    .filter((dir) => path.basename(dir) === "node_modules" && fs.existsSync(dir));
}

function startImportHooksEarly() {
  const { register } = require("module");
  if (typeof register !== "function") return;
  const { port1, port2 } = new (require("worker_threads").MessageChannel)();
  register(IMPORT_HOOKS, { data: { port: port2 }, transferList: [port2] });
  port1.unref();
  sendImportDirectories = (directories) => port1.postMessage(directories);
}

function extendNodePathToImports(file) {
  if (sendImportDirectories !== null) return;  // a spare's hooks have theirs already
  const { register } = require("module");
  if (typeof register !== "function" || !isEsModule(file)) return;
  const directories = nodePathDirectories();
  if (directories.length > 0) register(IMPORT_HOOKS, { data: { directories } });
}

// RFC 6761 lets every name under .localhost mean this machine, as browsers and systemd-resolved
// take it; glibc alone does not. The AWS SDK addresses S3 buckets as <bucket>.<endpoint host>, so
// under Overcast's http://localhost:<port> a function's `new S3Client({})` calls <bucket>.localhost,
// as browsers reach Overcast's S3 websites and API hosts. Names are looked up as "localhost" itself.
function resolveLocalhostSubdomains() {
  const dns = require("dns");
  const lookup = dns.lookup;
  dns.lookup = function (hostname, ...rest) {
    const local = typeof hostname === "string" && hostname.toLowerCase().replace(/\.$/, "").endsWith(".localhost");
    return lookup.call(this, local ? "localhost" : hostname, ...rest);
  };
}

class HandlerError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

// Resolves the handler as AWS's Node runtime client does (UserFunction.js), with its messages:
// they name the handler as configured, and a missing module as the require stack of AWS's own
// runtime file reports it.
async function loadHandler() {
  const spec = process.env._HANDLER || "";
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  if (spec.includes("..")) {
    throw new HandlerError("Runtime.MalformedHandlerName",
      `'${spec}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const base = path.basename(spec);
  const dot = base.indexOf(".");
  if (dot < 0) throw new HandlerError("Runtime.MalformedHandlerName", "Bad handler");
  const moduleName = base.slice(0, dot);
  const modulePath = path.join(path.dirname(spec), moduleName);
  const attrs = base.slice(dot + 1).split(".");
  let file = null;
  for (const ext of [".js", ".mjs", ".cjs"]) {
    if (fs.existsSync(path.join(root, modulePath + ext))) { file = path.join(root, modulePath + ext); break; }
  }
  if (file === null) {
    throw new HandlerError("Runtime.ImportModuleError",
      `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  extendNodePathToImports(file);
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
    // A CommonJS module imported as ESM may show its exports only under `default`.
    target = target == null ? undefined : (target[attr] !== undefined ? target[attr] : (target.default || {})[attr]);
  }
  if (!target) throw new HandlerError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`);
  if (typeof target !== "function") throw new HandlerError("Runtime.HandlerNotFound", `${spec} is not a function`);
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
    // As AWS's runtime client (CallbackContext.js): failing with nothing fails with "handled".
    const fail = (err) => callback(err === undefined || err === null ? "handled" : err);
    context.fail = fail;
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") {
        out.then((r) => callback(null, r), fail);
      } else if (handler.length < 3) {
        // A handler that is not async answers through the callback or context only: on AWS what
        // it returns is ignored and the result is null ("Lambda will call it implicitly and the
        // return value is null", the Node.js handler guide).
        callback(null, null);
      }
    } catch (e) {
      callback(e);
    }
  });
}

// Logs the error under `label` as AWS's runtime client does ("Invoke Error", "Uncaught Exception",
// "Unhandled Promise Rejection"), then reports it.
async function postError(requestId, err, route, label) {
  const doc = errorDoc(err);
  writeLine(`${new Date().toISOString()}\t${requestId || "undefined"}\tERROR\t${label || "Invoke Error"} ${formatted(err)}`);
  await outputWritten();
  await request("POST", route, JSON.stringify(doc),
                Object.assign({ "Lambda-Runtime-Function-Error-Type": doc.errorType }, peakMemory()));
}

// AWS's runtime client wraps a rejection nobody handled in its own error, whose message is the
// reason as a string ("Error: x" for an Error).
class UnhandledPromiseRejection extends Error {
  constructor(reason) {
    super(String(reason));
    this.name = "Runtime.UnhandledPromiseRejection";
  }
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
  if (sendImportDirectories !== null) sendImportDirectories(nodePathDirectories());
  process.stdin.destroy();
}

async function main() {
  if (process.env.OVERCAST_SPARE === "1") {
    if (process.env.OVERCAST_SPARE_IMPORT_HOOKS === "1") startImportHooksEarly();
    await becomeAssigned();
  }
  [apiHost, apiPort] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
  patchConsole();
  resolveLocalhostSubdomains();
  // A handler that never settles must time out, not end the process when the loop runs dry.
  setInterval(() => {}, 1 << 30);
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    // On AWS the loader's error escapes the runtime client's start-up, so it is logged as uncaught.
    await postError(undefined, e, "init/error", "Uncaught Exception");
    process.exit(1);
  }
  process.on("uncaughtException", async (e) => {
    if (currentRequestId) {
      await postError(currentRequestId, e, `invocation/${currentRequestId}/error`, "Uncaught Exception").catch(() => {});
    }
    process.exit(129);
  });
  process.on("unhandledRejection", async (reason) => {
    const error = new UnhandledPromiseRejection(reason);
    if (currentRequestId) {
      await postError(currentRequestId, error, `invocation/${currentRequestId}/error`, "Unhandled Promise Rejection").catch(() => {});
    }
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
      await postError(requestId, e, `invocation/${requestId}/error`);
      continue;
    }
    const body = result === undefined ? "null" : JSON.stringify(result);
    await outputWritten();
    await request("POST", `invocation/${requestId}/response`, body === undefined ? "null" : body, peakMemory());
  }
}

main();
