/**
 * The Fly Machines API's shapes, as `/work/shared/specs/fly-machines-openapi.yaml` declares them
 * (schemas `Machine`, `api.MachineConfig`, `CreateMachineRequest`, `Lease`, `ErrorResponse`),
 * reduced to the fields Vigie reads or writes. A machine's config is carried through untouched
 * (`[key: string]: unknown`): a clone must copy every field, including those Vigie never reads.
 */

/** States a machine goes through (`Machine.state`). */
export type MachineState =
  | 'created'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'replacing'
  | 'destroying'
  | 'destroyed';

/** The states `GET …/wait` accepts. */
export type WaitableState = 'started' | 'stopped' | 'destroyed';

/** `api.MachineConfig`: `image` is the one field a create needs; the rest is passed through. */
export interface MachineConfig {
  image?: string;
  env?: Record<string, string>;
  metadata?: Record<string, string>;
  [key: string]: unknown;
}

/** `ImageRef`. */
export interface ImageRef {
  registry?: string;
  repository?: string;
  tag?: string;
  digest?: string;
  labels?: Record<string, string>;
}

/** `Machine`. */
export interface Machine {
  id: string;
  name: string;
  state: MachineState | (string & {});
  region: string;
  instance_id?: string;
  private_ip?: string;
  config: MachineConfig;
  image_ref?: ImageRef;
  created_at?: string;
  updated_at?: string;
}

/** `CreateMachineRequest`. */
export interface CreateMachineRequest {
  config: MachineConfig;
  region?: string;
  name?: string;
  skip_launch?: boolean;
  skip_service_registration?: boolean;
  lease_ttl?: number;
}

/** `StopRequest`: signal name and Go duration (`"30s"`). */
export interface StopRequest {
  signal?: string;
  timeout?: string;
}

/** `Lease` (the `data` of the live API's `{ status, data }` answer). */
export interface Lease {
  nonce: string;
  expires_at: number;
  owner: string;
  description?: string;
  version?: string;
}

/** `ErrorResponse`, with the `message` the live API adds. */
export interface ErrorResponse {
  error?: string;
  status?: 'unknown' | 'insufficient_capacity' | (string & {});
  message?: string;
}

/** Header carrying a held lease's nonce on mutating calls. */
export const LEASE_NONCE_HEADER = 'fly-machine-lease-nonce';
/** Response header naming one API call, for Fly's support and our logs. */
export const REQUEST_ID_HEADER = 'fly-request-id';
/** Longest `timeout` the wait endpoint accepts, seconds. */
export const MAX_WAIT_SECONDS = 60;
