// htm bound to preact: JSX-like templates with no compile step of their own.
import htm from 'htm';
import { h } from 'preact';

export const html = htm.bind(h);
