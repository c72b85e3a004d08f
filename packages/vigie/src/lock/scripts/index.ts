import { createHash } from 'node:crypto';
import { ACQUIRE_LUA } from './acquire.lua.js';
import { EXTEND_LUA } from './extend.lua.js';
import { INSPECT_LUA } from './inspect.lua.js';
import { RELEASE_LUA } from './release.lua.js';

/** A Lua script with its SHA1, run by EVALSHA (EVAL when the server does not know it yet). */
export interface LuaScript {
  name: string;
  lua: string;
  sha: string;
  numberOfKeys: number;
}

/** Wraps Lua source as a `LuaScript`. */
export function luaScript(name: string, lua: string, numberOfKeys: number): LuaScript {
  return { name, lua, numberOfKeys, sha: createHash('sha1').update(lua).digest('hex') };
}

export const SCRIPTS = {
  acquire: luaScript('acquire', ACQUIRE_LUA, 2),
  extend: luaScript('extend', EXTEND_LUA, 1),
  release: luaScript('release', RELEASE_LUA, 1),
  inspect: luaScript('inspect', INSPECT_LUA, 2),
} as const;
