// Every screen module, one line each; a module registers its routes with route() on import.
import './signin.js';
import './dashboard.js';
import './operators.js';
import './whistles.js';
import './whistle.js';
import './department.js';
import './patrols.js';
import './resident.js';
import './handler.js';
import './community.js';
import './consultation-detail.js';
import './issue.js';
import './wishes.js';
import './timebank.js';
import './departments.js';
import './compound.js';
