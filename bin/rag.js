#!/usr/bin/env node
// `npx rag ...` inside the project: runs the TypeScript CLI through tsx (installed by `npm install`), no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../src/cli/rag.ts');
