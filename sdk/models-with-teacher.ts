// sr.models as the barrel shows it: the model core (sdk/models) and the pretrained teacher
// (sdk/teacher). They meet only here, so the core never depends on the tasks and the training
// loop that the teacher is made with.
export * from "./models/index.js";
export { teacher, TEACHER_RECIPE, type TeacherOptions, type TeacherRecipe } from "./teacher/index.js";
