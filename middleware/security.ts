import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * helmet's headers for sightline's JSON ops routes: nothing on them is a page, so the
 * content security policy allows nothing, and no response may be framed or cached.
 */
export function opsSecurityHeaders(): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  return function opsSecurity(req, res, next) {
    res.setHeader('Cache-Control', 'no-store');
    headers(req, res, next);
  };
}

/**
 * helmet's headers for a page served by the service itself (a UI, the dashboard): scripts,
 * styles, fetches and images from the service only, nothing inline, never framed.
 */
export function pageSecurityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}
