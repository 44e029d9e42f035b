import { Router } from 'express';
import { pageSecurityHeaders } from '../../middleware';
import { RACE_PAGE, RACE_STYLES } from './page';
import { raceClientScript } from './raceClient';

/** `GET /`: the race page, its script and styles, under a strict content security policy. */
export function uiRoutes(): Router {
  const router = Router();
  const script = raceClientScript();
  const security = pageSecurityHeaders();
  router.get('/', security, (_req, res) => {
    res.type('html').send(RACE_PAGE);
  });
  router.get('/ui/race.js', security, (_req, res) => {
    res.type('application/javascript').send(script);
  });
  router.get('/ui/race.css', security, (_req, res) => {
    res.type('text/css').send(RACE_STYLES);
  });
  return router;
}
