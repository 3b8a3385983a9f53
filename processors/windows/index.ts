export { createWindow, type SlidingWindow, type WindowKind, type WindowOptions } from './window.js';
